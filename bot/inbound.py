"""The channel-neutral shapes every adapter speaks: one ``Inbound`` in, ``Reply``s out."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any

from crm_core.outreach.message_log import well_formed

# What a message can be besides text; adapters map their channel's kinds onto these.
KINDS = ("text", "contact", "photo", "sticker", "voice", "video", "location", "document", "other")


@dataclass(frozen=True)
class Inbound:
    channel: str  # telegram, whatsapp, terminal
    sender: str  # the address on that channel: Telegram chat id, E.164 phone
    text: str
    external_id: str  # the channel's id for this update: the dedupe key
    received_at: datetime
    kind: str = "text"
    display_name: str | None = None
    telegram_id: int | None = None
    # The sender's own phone, when the channel vouches for it (a WhatsApp sender, a
    # Telegram contact whose user id is the sender's).
    verified_phone: str | None = None
    # A phone the sender shared or typed that the channel does not vouch for.
    shared_phone: str | None = None
    media_url: str | None = None
    media_type: str | None = None
    # The provider id of the bot's own message this one answers (a Telegram reply, a
    # WhatsApp reply): how an agent answers a relayed customer message.
    reply_to: str | None = None
    # The same message as the log named it before Telegram ids named their bot, and
    # when the channel says it was sent: such an older row is the one quoted only if it
    # went out at that time (two bots number their messages alike).
    reply_to_legacy: str | None = None
    reply_to_sent_at: datetime | None = None


def storable(inbound: Inbound) -> Inbound:
    """The message with every text as the store can keep it and a channel can send it
    back: a lone surrogate (JSON allows ``"\\ud800"``; UTF-8 cannot hold it) becomes
    U+FFFD. Otherwise the message could not be logged, and must not be answered as if
    it had been."""
    changes: dict[str, Any] = {}
    for field in fields(inbound):
        value = getattr(inbound, field.name)
        if isinstance(value, str) and (kept := well_formed(value)) is not value:
            changes[field.name] = kept
    return replace(inbound, **changes) if changes else inbound


@dataclass(frozen=True)
class Image:
    """A picture sent after a reply's text: a report's chart."""

    filename: str
    data: bytes  # PNG


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[str, ...] = ()
    # The label of a "share my number" button, where the channel has one.
    contact_button: str | None = None
    message_id: int | None = None  # the row in the message log, for delivery status
    outbox_id: int | None = None  # the outbox row holding it until sent (see Engine)
    # Sent after the text, where the channel can; the text must stand on its own.
    images: tuple[Image, ...] = ()
    # A sales report's charts for these local days (first, last), for a channel that
    # takes pictures only by link (WhatsApp): it sends signed links to the web server.
    chart_days: tuple[date, date] | None = None


def buttons(reply: Reply) -> dict[str, object] | None:
    """A reply's buttons as the outbox keeps them, or None when it has none."""
    if not reply.choices and reply.contact_button is None:
        return None
    return {"choices": list(reply.choices), "contact": reply.contact_button}


def with_buttons(text: str, kept: dict[str, object] | None) -> Reply:
    """The reply the outbox kept, with its buttons, to send again."""
    kept = kept or {}
    choices = kept.get("choices") or []
    contact = kept.get("contact")
    return Reply(
        text,
        tuple(str(c) for c in choices) if isinstance(choices, list) else (),
        contact_button=str(contact) if contact else None,
    )
