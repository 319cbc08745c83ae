"""The log of every message in and out."""

from __future__ import annotations

from datetime import datetime

from crm_core.models import Message

MAX_BODY = 10_000


def storable(text: str) -> str:
    """The text as the store can keep it: PostgreSQL text cannot hold NUL characters,
    and nothing a person means is in them."""
    return text.replace("\x00", "")[:MAX_BODY]


def inbound_message(
    customer_id: int | None,
    channel: str,
    body: str,
    now: datetime,
    *,
    kind: str = "text",
    external_id: str | None = None,
    media_url: str | None = None,
    media_type: str | None = None,
) -> Message:
    return Message(
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


def outbound_message(customer_id: int, channel: str, body: str, now: datetime) -> Message:
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
