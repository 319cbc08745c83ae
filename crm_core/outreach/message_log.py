"""The log of every message in and out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crm_core.models import Message
from crm_core.models.rows import insert, insert_all
from crm_core.models.sealed import Sealed

MAX_BODY = 10_000


def storable(text: str) -> str:
    """The text as the store can keep it: PostgreSQL text cannot hold NUL characters,
    and nothing a person means is in them; nor can UTF-8 hold a lone surrogate."""
    return well_formed(text).replace("\x00", "")[:MAX_BODY]


def well_formed(text: str) -> str:
    """The text itself when it can be written as UTF-8; else with each lone surrogate
    (half of a UTF-16 pair, which JSON's ``\\ud800`` can carry) replaced by U+FFFD, and
    split pairs joined."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


async def log_incoming(
    customer_id: int | None,
    channel: str,
    body: str,
    now: datetime,
    *,
    kind: str = "text",
    external_id: str | None = None,
    media_url: str | None = None,
    media_type: str | None = None,
) -> int:
    """Log a message just received; its id. A second delivery of the same update
    (same channel and ``external_id``) raises Tortoise's ``IntegrityError``."""
    return await insert(
        Message,
        customer_id=customer_id,
        channel=channel,
        direction="in",
        kind=kind,
        body=storable(body),
        external_id=external_id,
        media_url=media_url,
        media_type=media_type,
        status="received",
        created_at=now,
    )


async def log_replies(
    customer_id: int | None, channel: str, bodies: Sequence[str | Sealed], now: datetime
) -> list[int]:
    """Log a turn's replies, about to be sent (``queued``), in one statement; their ids."""
    rows = [
        {
            "customer_id": customer_id, "channel": channel, "direction": "out",
            "kind": "text", "body": body, "status": "queued", "created_at": now,
        }
        for body in bodies
    ]  # fmt: skip
    return await insert_all(Message, rows)


def outbound_message(customer_id: int | None, channel: str, body: str, now: datetime) -> Message:
    return Message(
        customer_id=customer_id,
        channel=channel,
        direction="out",
        kind="text",
        body=body,
        status="queued",
        created_at=now,
    )


async def mark_sent(message_id: int, provider_id: str | None) -> None:
    await Message.filter(id=message_id).update(status="sent", external_id=provider_id)


async def mark_failed(message_id: int, error: str) -> None:
    await Message.filter(id=message_id).update(status="failed", error=error[:500])


async def record_send(
    message_id: int,
    status: str,
    *,
    provider_id: str | None = None,
    error_code: str | None = None,
    error: str | None = None,
) -> None:
    """What the provider said when the message was handed over."""
    await record_sends([SendEnd(message_id, status, provider_id, error_code, error)])


@dataclass(frozen=True)
class SendEnd:
    """How one logged message's send ended, for ``record_sends``."""

    message_id: int
    status: str
    provider_id: str | None = None
    error_code: str | None = None
    error: str | None = None


_SENDS = {
    "sqlite": 'UPDATE "message" SET "status" = ?, "external_id" = ?, "error_code" = ?, '
    '"error" = ? WHERE "id" = ?',
    "postgres": 'UPDATE "message" SET "status" = $1, "external_id" = $2, "error_code" = $3, '
    '"error" = $4 WHERE "id" = $5',
}


async def record_sends(ends: Sequence[SendEnd]) -> None:
    """``record_send`` for a batch, in one prepared statement run for each row. (Tortoise's
    ``bulk_update`` built one CASE per column every time, which was most of the CPU of
    writing a batch of send results; none of these columns is sealed or converted.)"""
    if not ends:
        return
    db = Message._meta.db  # the transaction's connection inside ``in_transaction``
    rows = [
        [e.status, e.provider_id, e.error_code, (e.error or "")[:500] or None, e.message_id]
        for e in ends
    ]
    await db.execute_many(_SENDS[db.capabilities.dialect], rows)


async def log_sent(
    customer_id: int | None,
    channel: str,
    body: str,
    now: datetime,
    status: str,
    *,
    provider_id: str | None = None,
    error_code: str | None = None,
    error: str | None = None,
) -> Message:
    """Log a message that was queued without a log row, once its send has ended."""
    logged = outbound_message(customer_id, channel, body, now)
    logged.status, logged.external_id = status, provider_id
    logged.error_code, logged.error = error_code, (error or "")[:500] or None  # type: ignore[assignment]
    await logged.save()
    return logged


# A later status never moves a message back: callbacks can arrive out of order.
PROGRESS = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "read": 5}
FAILED = {"failed", "undelivered"}


async def record_status(
    channel: str, provider_id: str, status: str, error_code: str | None, *, outside_window: str
) -> bool:
    """A delivery status callback; False when no message of ours has that id."""
    found = Message.filter(channel=channel, direction="out", external_id=provider_id)
    if status in FAILED:
        if error_code == outside_window:
            status = "needs_template"
        return bool(await found.update(status=status, error_code=error_code))
    if status not in PROGRESS:
        return await found.exists()
    earlier = [s for s, rank in PROGRESS.items() if rank < PROGRESS[status]]
    if await found.filter(status__in=earlier).update(status=status):
        return True
    return await found.exists()
