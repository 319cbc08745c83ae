"""The channel-neutral shapes every adapter speaks: one ``Inbound`` in, ``Reply``s out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

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
    # Sent after the text, where the channel can; the text must stand on its own.
    images: tuple[Image, ...] = ()
    # A sales report's charts for these local days (first, last), for a channel that
    # takes pictures only by link (WhatsApp): it sends signed links to the web server.
    chart_days: tuple[date, date] | None = None
