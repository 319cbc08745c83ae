"""The outbox dispatcher: takes due messages from the store and sends each through its
channel. Any number of dispatchers, in any number of processes, may run: each message is
claimed by exactly one (see crm_core.outbox)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from crm_core.message_log import record_send
from crm_core.outbox import claim_due, finish, retry_later

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """What became of one send: sent (the provider took it), retry (flood control, a
    network or server error), failed (final, with why), or needs_template."""

    status: str
    provider_id: str | None = None
    provider_status: str = "sent"  # what the message log records: Twilio says "queued"
    error_code: str | None = None
    error: str | None = None


class ChannelSender(Protocol):
    async def send_text(self, address: str, text: str, now: datetime) -> Delivery: ...


class Dispatcher:
    def __init__(
        self,
        senders: dict[str, ChannelSender],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        jobs: Sequence[Callable[[datetime], Awaitable[object]]] = (),
    ) -> None:
        self.senders = senders
        self.clock = clock
        self.jobs = jobs  # run first on each tick: what they queue goes out the same tick

    async def run_once(self) -> int:
        """Run the jobs, then send what is due now; returns how many sends were tried."""
        now = self.clock()
        for job in self.jobs:
            await job(now)
        rows = await claim_due(now)
        for row in rows:
            sender = self.senders.get(row.channel)
            if sender is None:
                delivery = Delivery("failed", error=f"the {row.channel} channel is not configured")
            else:
                delivery = await sender.send_text(row.address, row.body, now)
            now = self.clock()
            if delivery.status == "retry":
                await retry_later(row, now, delivery.error or "try again")
                continue
            await finish(row, delivery.status, now, delivery.error)
            if row.message_id is not None:
                status = delivery.provider_status if delivery.status == "sent" else delivery.status
                await record_send(
                    row.message_id, status, provider_id=delivery.provider_id,
                    error_code=delivery.error_code, error=delivery.error,
                )  # fmt: skip
        return len(rows)

    async def run(self, stop: asyncio.Event, every: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as exc:  # the store is away: try again next tick
                log.error("outbox dispatch failed: %s", type(exc).__name__)
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                pass
