"""The outbox: messages to send, claimed one by one by whichever dispatcher gets there
first, retried with back-off, each ending sent or with the reason it could not be.

What a crash does. A message the dispatcher claims is ``sending`` for its one HTTP
request; a reply the engine held is ``sending`` from its turn's commit until its send
ends in its process's send queue. When the process dies meanwhile, nobody knows whether
the channel took it (Telegram takes no idempotency key). The claim names its process,
so the next dispatcher on the same machine takes it back at once (another machine's,
once its lease has run out), and then:

- a **marketing** message (a campaign's, an agent's ``/kirim``) is never sent again by
  itself: it is marked ``unknown``, and ``langgan sweep`` and ``/tugas`` show it for a
  person to decide (at most once);
- any other message (a reply, an order's news, an agent's ``/balas``, a note to staff)
  is sent again (at least once): a customer who paid must hear so, even twice."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from crm_core.models import OutboxMessage
from crm_core.models.rows import insert_all
from crm_core.models.sealed import Sealed
from crm_core.outreach.contact_policy import MARKETING, Permit, Service, given
from crm_core.outreach.message_log import (
    SendEnd,
    log_sent,
    outbound_message,
    record_send,
    record_sends,
)
from crm_core.store import durable, short_statements

MAX_ATTEMPTS = 6
TERMINAL = "terminal"  # a ``langgan chat`` keyboard: no dispatcher sends to it
# Another machine's claim this old was lost with its process: far longer than one send
# may take (a request times out within a minute).
STALE = timedelta(minutes=5)
# This process, as its claims name it: the host and pid say whether it still runs; the
# token tells it from an earlier process that had the same pid.
HOST = socket.gethostname()[:60]
PROCESS = f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}"
# A live local process's claim at the longest, and another machine's reply's lease.
ALIVE_FOR = timedelta(hours=1)
UNKNOWN = "the send was cut off by a crash: it may or may not have arrived"


async def enqueue(
    channel: str,
    address: str,
    body: str,
    now: datetime,
    *,
    service: Service,
    customer_id: int | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    media_url: str | None = None,
) -> OutboxMessage:
    """Add a service message (inside the caller's transaction, so it exists exactly when
    what decided it does); the message log gets its row now, as queued. A message the
    shop starts goes in with its permit instead (``enqueue_permitted``)."""
    return await _add(
        channel, address, body, now, Service(service).value, customer_id, dedupe_key,
        not_before, media_url,
    )  # fmt: skip


async def enqueue_permitted(
    permit: Permit, body: str, now: datetime, *, dedupe_key: str
) -> OutboxMessage:
    """Add a message the shop starts, on the gate's permit: to the permit's chat, not
    before the end of quiet hours."""
    _check(permit)
    return await _add(
        permit.channel, permit.address, body, now, MARKETING, permit.customer_id, dedupe_key,
        permit.not_before, None,
    )  # fmt: skip


def _check(permit: Permit) -> None:
    if not given(permit):
        raise TypeError("a message the shop starts needs the gate's Permit, as it gave it")


async def _add(
    channel: str,
    address: str,
    body: str,
    now: datetime,
    kind: str,
    customer_id: int | None,
    dedupe_key: str | None,
    not_before: datetime | None,
    media_url: str | None,
) -> OutboxMessage:
    logged = outbound_message(customer_id, channel, body, now)
    await logged.save()
    return await OutboxMessage.create(
        channel=channel,
        address=address,
        customer_id=customer_id,
        kind=kind,
        body=body,
        next_attempt_at=not_before or now,
        dedupe_key=dedupe_key,
        message_id=logged.id,
        created_at=now,
        media_url=media_url,
    )


@dataclass(frozen=True)
class Queued:
    """One message of a campaign's batch for ``enqueue_many``: the gate's permit for it,
    its text and its event's key."""

    permit: Permit
    body: str
    dedupe_key: str


async def enqueue_many(batch: Sequence[Queued], now: datetime) -> None:
    """Add a batch of messages the shop starts in one statement (a campaign's): inside
    the caller's transaction, with the claims behind their permits. Their message-log
    rows are written when they are sent, so a batch costs no statement per message; a
    duplicate dedupe key raises IntegrityError and the caller's transaction queues none
    of them."""
    for m in batch:
        _check(m.permit)
    await OutboxMessage.bulk_create(
        [
            OutboxMessage(
                channel=m.permit.channel,
                address=m.permit.address,
                customer_id=m.permit.customer_id,
                kind=MARKETING,
                body=m.body,
                next_attempt_at=m.permit.not_before or now,
                dedupe_key=m.dedupe_key,
                created_at=now,
                content_sid=m.permit.content_sid,
                content_variables=m.permit.content_variables,
            )
            for m in batch
        ]
    )


async def take_next(now: datetime) -> OutboxMessage | None:
    """The next due message, now owned by this caller alone: taken by one conditional
    update, so two dispatchers (in two processes) never take the same one. Taken one at
    a time, just before its send, so a claim is never older than one send; ``attempts``
    is the claim's token (see ``finish``). Call ``take_back_lost`` first, once a round."""
    while True:
        row = (
            await OutboxMessage.filter(status="pending", next_attempt_at__lte=now)
            .exclude(channel=TERMINAL)  # shown by ``langgan chat`` itself (``take_for``)
            # In the order they were decided: a chat's replies taken back after a crash
            # go in their turn's order, whatever their tries moved.
            .order_by("id")
            .first()
        )
        if row is None:
            return None
        won = await OutboxMessage.filter(id=row.id, status="pending", attempts=row.attempts).update(
            status="sending", attempts=row.attempts + 1, next_attempt_at=now, claimed_by=PROCESS
        )
        if won:
            row.status, row.attempts, row.next_attempt_at = "sending", row.attempts + 1, now
            row.claimed_by = PROCESS
            return row


async def take_for(address: tuple[str, str], now: datetime) -> list[OutboxMessage]:
    """Every due message for one chat, claimed and marked sent as it is handed over:
    ``langgan chat`` shows the messages for the person at its keyboard this way. Each
    row is taken by the same conditional update as ``take_next``, so a dispatcher
    running beside it never sends one of them too."""
    channel, wanted = address
    taken = []
    rows = OutboxMessage.filter(status="pending", channel=channel, next_attempt_at__lte=now)
    for row in await rows.order_by("id"):
        if row.address != wanted:  # sealed: compared here, not in SQL
            continue
        won = await OutboxMessage.filter(id=row.id, status="pending").update(
            status="sent", attempts=row.attempts + 1, sent_at=now
        )
        if won:
            if row.message_id is not None:
                await record_send(row.message_id, "sent")
            else:
                await log_sent(row.customer_id, row.channel, row.body, now, "sent")
            taken.append(row)
    return taken


async def take_back_lost(now: datetime) -> int:
    """Claims lost with their process (see the module's note): a marketing message
    becomes ``unknown`` (in the log too), any other is sent again unless it has had its
    tries. Each is taken back only as it was read (same owner, same try), so a claim
    another dispatcher took back and made its own meanwhile is left to it. Returns how
    many were taken back."""
    sending = await OutboxMessage.filter(status="sending").only(
        "id", "kind", "claimed_by", "attempts", "next_attempt_at", "message_id",
        "customer_id", "channel",
    )  # fmt: skip
    taken = 0
    for row in sending:
        lease = ALIVE_FOR if row.kind == "reply" else STALE
        if not _lost(row.claimed_by, row.next_attempt_at, now, lease):
            continue
        if row.kind == MARKETING:
            end: dict[str, Any] = {"status": "unknown", "error": UNKNOWN}
        elif row.attempts >= MAX_ATTEMPTS:
            end = {"status": "failed", "error": "lost while sending, too many times"}
        else:
            end = {"status": "pending"}
        async with in_transaction():
            won = await OutboxMessage.filter(
                id=row.id, status="sending", claimed_by=row.claimed_by, attempts=row.attempts
            ).update(claimed_by=None, **end)
            if won and end["status"] == "unknown":
                await _log_unknown(row, now)
        taken += won
    return taken


async def _log_unknown(row: OutboxMessage, now: datetime) -> None:
    if row.message_id is not None:
        await record_send(row.message_id, "unknown", error=UNKNOWN)
        return
    full = await OutboxMessage.get(id=row.id)  # queued in a batch: logged as it ends
    await log_sent(full.customer_id, full.channel, full.body, now, "unknown", error=UNKNOWN)


def _lost(
    claimed_by: str | None, claimed_at: datetime, now: datetime, lease: timedelta = STALE
) -> bool:
    """Whether a claim's process has ended. A process on this machine is asked; another
    machine's claim is taken as lost once older than its lease (``STALE`` for one send,
    ``ALIVE_FOR`` for a reply, which may wait a while in its process's send queue)."""
    parts = (claimed_by or "").rsplit(":", 2)
    host, pid_text = (parts[0], parts[1]) if len(parts) == 3 else ("", "")
    if host != HOST or not pid_text.isdecimal():
        return claimed_at <= now - lease
    if claimed_by != PROCESS and int(pid_text) == os.getpid():
        return True  # an earlier process with this pid (a container's pid 1, restarted)
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        pass
    # Alive (this process, say): its claim stands, unless it is an hour old (a send
    # that ended in an error nobody caught, or a process given a dead one's pid).
    return claimed_at <= now - ALIVE_FOR


def _mine(row: OutboxMessage) -> Any:
    # Only the claim that took the row may end it: a reclaimed row has a new token.
    return OutboxMessage.filter(id=row.id, status="sending", attempts=row.attempts)


async def finish(row: OutboxMessage, status: str, now: datetime, error: str | None = None) -> bool:
    return bool(
        await _mine(row).update(
            status=status,
            error=(error or "")[:500] or None,
            sent_at=now if status == "sent" else None,
            claimed_by=None,
        )
    )


async def retry_later(row: OutboxMessage, now: datetime, error: str) -> None:
    if row.attempts >= MAX_ATTEMPTS:
        await finish(row, "failed", now, f"gave up after {row.attempts} attempts: {error}")
        return
    await _mine(row).update(
        status="pending",
        error=error[:500],
        next_attempt_at=now + timedelta(seconds=2**row.attempts),
        claimed_by=None,
    )


async def defer(row: OutboxMessage, until: datetime) -> None:
    """Put a claimed message back to wait (quiet hours); the wait is not a failed try."""
    await _mine(row).update(
        status="pending", attempts=row.attempts - 1, next_attempt_at=until, claimed_by=None
    )


async def hold_replies(
    channel: str,
    address: str | Sealed,
    bodies: Sequence[str | Sealed],
    message_ids: Sequence[int],
    now: datetime,
    *,
    customer_id: int | None = None,
    keyboards: Sequence[dict[str, object] | None],
) -> list[int]:
    """A turn's replies to a message just handled, kept inside the engine's transaction
    (one statement) and claimed by this process from the start: its sender has them in
    memory and sends them at once, with no claim to take. Kept, so that a process that
    dies before sending them leaves them to the next dispatcher (a reply is sent at
    least once). Their ids."""
    rows = [
        {
            "channel": channel, "address": address, "customer_id": customer_id,
            "kind": Service.REPLY.value, "body": body, "keyboard": keyboard,
            "status": "sending", "attempts": 1, "claimed_by": PROCESS,
            "next_attempt_at": now, "message_id": message_id, "created_at": now,
        }
        for body, message_id, keyboard in zip(bodies, message_ids, keyboards, strict=True)
    ]  # fmt: skip
    return await insert_all(OutboxMessage, rows)


@dataclass(frozen=True)
class Ended:
    """How one held reply's send ended, for ``record_ends``: sent, failed, or pending
    (left to the dispatcher, to try again from ``retry_at``)."""

    outbox_id: int | None
    message_id: int | None
    status: str
    provider_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None
    log_status: str | None = None  # the log's, when the provider says more ("queued")
    error_code: str | None = None  # the provider's


async def record_ends(ends: Sequence[Ended], now: datetime) -> None:
    """Write how a batch of sends ended: one statement for all that were sent and one
    for their log rows, however many; a failure or a wait (rare) is written on its own.
    Only this process's claims are ended: one taken back meanwhile has a new owner."""
    mine = OutboxMessage.filter(status="sending", claimed_by=PROCESS)
    logged = [
        SendEnd(e.message_id, e.log_status or e.status, e.provider_id, e.error_code, e.error)
        for e in ends
        if e.message_id is not None and e.status != "pending"
    ]
    with short_statements():
        async with in_transaction():
            sent = [e.outbox_id for e in ends if e.status == "sent" and e.outbox_id is not None]
            if sent:
                await mine.filter(id__in=sent).update(status="sent", claimed_by=None, sent_at=now)
            for e in ends:
                if e.status == "sent" or e.outbox_id is None:
                    continue
                error = (e.error or "")[:500] or None
                if e.status == "pending":  # left to the dispatcher, from ``retry_at``
                    await mine.filter(id=e.outbox_id).update(
                        status="pending", claimed_by=None, next_attempt_at=e.retry_at or now,
                        error=error,
                    )  # fmt: skip
                else:
                    await mine.filter(id=e.outbox_id).update(
                        status=e.status, claimed_by=None, error=error
                    )
            await record_sends(logged)
    await durable()  # a batch is settled once its ends are on the disk
