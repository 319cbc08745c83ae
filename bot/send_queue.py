"""Where a channel's replies leave from, once the engine has committed them: the webhook
is answered as soon as the message is safe in the store, not after the replies went.

Each chat's replies go in order, one after another; different chats' go side by side,
within the channel's overall rate. Flood control (Telegram's 429) is waited out for that
chat alone. How each send ended is written a batch at a time (``record_ends``), not one
``UPDATE`` per reply. A reply still here when the process dies is in the outbox (held
by the engine), and the next dispatcher sends it (see crm_core.outreach.outbox)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.dispatcher import Delivery
from bot.inbound import Reply
from bot.rate_limits import RateLimits
from crm_core.outreach.outbox import Ended, record_ends

log = logging.getLogger(__name__)

SendReply = Callable[[str, Reply], Awaitable[Delivery]]
ATTEMPTS = 4  # sends of one reply here; then the dispatcher's back-off takes over
MAX_WAIT = 60.0  # seconds of flood control waited for one reply, in all
LATER = timedelta(seconds=30)  # when the dispatcher tries a reply this queue gave up on
BATCH = 200  # ends written at once, at most: one statement's parameters stay few


@dataclass(frozen=True)
class _Item:
    chat: str
    reply: Reply


class SendQueue:
    def __init__(
        self,
        send: SendReply,
        *,
        limits: RateLimits | None = None,
        batch_every: float = 0.02,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.send = send
        self.limits = limits
        self.batch_every = batch_every  # how long ends gather before they are written
        self.clock = clock
        self.sleep = sleep
        self._chats: dict[str, deque[_Item]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._ended: list[Ended] = []
        self._writer: asyncio.Task[None] | None = None
        self._unsettled = 0  # replies put and not yet written down
        self._settled = asyncio.Event()
        self._settled.set()
        # Ends are written in the order they came: counting both says which are down.
        self._ends_gathered = 0
        self._ends_written = 0
        self._wrote = asyncio.Condition()
        self._hurry = asyncio.Event()  # someone waits: write without gathering more

    def put(self, chat: str, replies: list[Reply]) -> None:
        """Queue a turn's replies to one chat, after the ones already waiting for it."""
        if not replies:
            return
        self._unsettled += len(replies)
        self._settled.clear()
        waiting = self._chats.get(chat)
        if waiting is not None:  # its worker is running and takes these in turn
            waiting.extend(_Item(chat, r) for r in replies)
            return
        self._chats[chat] = deque(_Item(chat, r) for r in replies)
        worker = asyncio.create_task(self._work(chat))
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def drain(self) -> None:
        """Until every reply put so far is sent (or given up on) and written down."""
        await self._settled.wait()

    async def ends_written(self) -> bool:
        """Until every send that has ended so far is written down, at once rather than
        with the next batch; False when none was waiting. A delivery status may name a
        message whose send has ended here and is not yet in the store."""
        target = self._ends_gathered
        if self._ends_written >= target:
            return False
        self._hurry.set()
        async with self._wrote:
            await self._wrote.wait_for(lambda: self._ends_written >= target)
        return True

    async def close(self, patience: float = 30.0) -> None:
        """Once every reply is sent and recorded, or after ``patience`` seconds (the
        store is away): what is left is in the outbox, for the next start to send."""
        try:
            await asyncio.wait_for(self.drain(), patience)
        except TimeoutError:
            log.error("stopped with %d replies not recorded as sent", self._unsettled)
            for task in [*self._workers, self._writer]:
                if task is not None:
                    task.cancel()

    async def _work(self, chat: str) -> None:
        waiting = self._chats[chat]
        try:
            while waiting:
                item = waiting.popleft()
                try:
                    ended = await self._send(item)
                except Exception as exc:  # never lose the rest of the chat's replies
                    log.error("reply not sent: %s", type(exc).__name__)
                    ended = self._later(item.reply, type(exc).__name__)
                self._ended.append(ended)
                self._ends_gathered += 1
                if self._writer is None:
                    self._writer = asyncio.create_task(self._write())
        finally:
            del self._chats[chat]

    async def _send(self, item: _Item) -> Ended:
        waited = 0.0
        delivery = Delivery("retry", error="not tried")
        for _ in range(ATTEMPTS):
            if self.limits is not None:
                await self.limits.wait_overall()
            delivery = await self.send(item.chat, item.reply)
            if delivery.status != "retry":
                return _end(item.reply, delivery)
            pause = delivery.retry_after or 1.0
            if waited + pause > MAX_WAIT:
                break
            waited += pause
            await self.sleep(pause)
        return self._later(item.reply, delivery.error or "")

    def _later(self, reply: Reply, error: str) -> Ended:
        """Not sent here: a held reply waits in the outbox for the dispatcher's next try;
        one not held (a shop's own bot) is failed, with why."""
        if reply.outbox_id is None:
            return _end(reply, Delivery("failed", error=error))
        return Ended(
            reply.outbox_id, reply.message_id, "pending", error=error,
            retry_at=self.clock() + LATER,
        )  # fmt: skip

    async def _write(self) -> None:
        """Write the ends gathered so far, a batch at a time, until none is left."""
        try:
            while self._ended:
                if not self._hurry.is_set():
                    with contextlib.suppress(TimeoutError):  # let a batch gather
                        await asyncio.wait_for(self._hurry.wait(), self.batch_every)
                self._hurry.clear()
                batch, self._ended = self._ended[:BATCH], self._ended[BATCH:]
                try:
                    await record_ends(batch, self.clock())
                except Exception as exc:  # the store is away: the batch waits for it
                    log.error("send results not recorded: %s", type(exc).__name__)
                    self._ended[:0] = batch
                    await asyncio.sleep(1.0)
                    continue
                self._unsettled -= len(batch)
                self._ends_written += len(batch)
                async with self._wrote:
                    self._wrote.notify_all()
        finally:
            self._writer = None
            if self._unsettled == 0:
                self._settled.set()


def _end(reply: Reply, delivery: Delivery) -> Ended:
    sent = delivery.status == "sent"
    return Ended(
        reply.outbox_id, reply.message_id, delivery.status, provider_id=delivery.provider_id,
        error=delivery.error, log_status=delivery.provider_status if sent else None,
        error_code=delivery.error_code,
    )  # fmt: skip
