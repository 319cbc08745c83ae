"""The outbox: messages to send, claimed one by one by whichever dispatcher gets there
first, retried with back-off, each ending sent or with the reason it could not be."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crm_core.message_log import outbound_message
from crm_core.models import OutboxMessage

MAX_ATTEMPTS = 6
STALE = timedelta(minutes=5)  # a claim older than this was lost with its process


async def enqueue(
    channel: str,
    address: str,
    body: str,
    now: datetime,
    *,
    customer_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Add a message (inside the caller's transaction, so it exists exactly when what
    decided it does); the message log gets its row now, as queued."""
    logged = outbound_message(customer_id, channel, body, now)
    await logged.save()
    return await OutboxMessage.create(
        channel=channel, address=address, customer_id=customer_id, body=body,
        next_attempt_at=now, dedupe_key=dedupe_key, message_id=logged.id, created_at=now,
    )  # fmt: skip


async def claim_due(now: datetime, limit: int = 50) -> list[OutboxMessage]:
    """Due messages this caller now owns. Each is taken by one conditional update, so
    two dispatchers (in two processes) never take the same one."""
    await OutboxMessage.filter(status="sending", next_attempt_at__lte=now - STALE).update(
        status="pending"
    )
    due = (
        await OutboxMessage.filter(status="pending", next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .limit(limit)
    )
    mine = []
    for row in due:
        async with in_transaction():
            won = await OutboxMessage.filter(id=row.id, status="pending").update(
                status="sending", attempts=F("attempts") + 1, next_attempt_at=now
            )
        if won:
            mine.append(row)
    return mine


async def finish(row: OutboxMessage, status: str, now: datetime, error: str | None = None) -> None:
    await OutboxMessage.filter(id=row.id).update(
        status=status, error=(error or "")[:500] or None, sent_at=now if status == "sent" else None
    )


async def retry_later(row: OutboxMessage, now: datetime, error: str) -> None:
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        await finish(row, "failed", now, f"gave up after {attempts} attempts: {error}")
        return
    await OutboxMessage.filter(id=row.id).update(
        status="pending", error=error[:500], next_attempt_at=now + timedelta(seconds=2**attempts)
    )
