"""What both Telegram drivers share: a Telegram message as an ``Inbound``, our texts as
Telegram HTML, and sending replies with flood-control retries.

aiogram and python-telegram-bot both model Telegram's objects with Telegram's own field
names (``message.contact.phone_number``, ``message.from_user.id``), so one translation
serves both; each driver only builds its library's keyboards and calls its send."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bot.inbound import Image, Inbound, Reply
from crm_core.message_log import mark_failed, mark_sent
from crm_core.phones import try_normalize_phone

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# A Telegram file kept by its id (``telegram-file:AgAC...``): valid for this bot only.
FILE = "telegram-file:"
MAX_RETRY_WAIT = 60.0  # seconds we will wait on one message's flood control, in all
ATTEMPTS = 4

# Telegram field -> our kind, in the order they are checked.
_KINDS = (
    ("photo", "photo"),
    ("sticker", "sticker"),
    ("voice", "voice"),
    ("audio", "voice"),
    ("video_note", "video"),
    ("video", "video"),
    ("animation", "video"),
    ("location", "location"),
    ("venue", "location"),
    ("document", "document"),
)


def inbound_from_message(
    message: Any, update_id: int, now: datetime | None = None
) -> Inbound | None:
    """The ``Inbound`` for a private-chat message, or None for what the shop's bot
    does not take (group chats, channel posts, service messages without a sender)."""
    user = getattr(message, "from_user", None)
    chat = getattr(message, "chat", None)
    if user is None or chat is None or getattr(chat, "type", "private") != "private":
        return None
    received = getattr(message, "date", None) or now or datetime.now(UTC)
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    text = getattr(message, "text", None) or getattr(message, "caption", None) or ""
    kind = "text"
    verified = shared = None
    contact = getattr(message, "contact", None)
    if contact is not None:
        kind = "contact"
        phone = try_normalize_phone(str(contact.phone_number or ""))
        # Telegram's "share my contact" button sends the sender's own contact, with their
        # user id; a forwarded card of someone else carries another id or none.
        if getattr(contact, "user_id", None) == user.id:
            verified = phone
        else:
            shared = phone
    else:
        kind = next((ours for field, ours in _KINDS if getattr(message, field, None)), kind)
        if kind == "text" and not getattr(message, "text", None):
            kind = "other" if not text else "text"
    media_url = media_type = None
    if kind == "photo":  # the largest size; the bot can send it on (to an agent) by its id
        media_url, media_type = f"{FILE}{message.photo[-1].file_id}", "image/jpeg"
    elif kind == "document":
        document = message.document
        media_url, media_type = f"{FILE}{document.file_id}", document.mime_type
    # A reply to one of the bot's own messages, named as the message log names it.
    quoted = getattr(message, "reply_to_message", None)
    quoted_user = getattr(quoted, "from_user", None)
    reply_to = (
        provider_id(chat.id, quoted.message_id)
        if quoted is not None and getattr(quoted_user, "is_bot", False)
        else None
    )
    return Inbound(
        channel=CHANNEL,
        sender=str(chat.id),
        reply_to=reply_to,
        text=text,
        external_id=str(update_id),
        received_at=received,
        kind=kind,
        display_name=(user.first_name or "")[:120] or None,
        telegram_id=user.id,
        verified_phone=verified,
        shared_phone=shared,
        media_url=media_url,
        media_type=media_type,
    )


CAPTION = 1_000  # Telegram's caption limit is 1,024 characters; a longer text goes alone


def photo_reference(media_url: str | None) -> str | None:
    """What Telegram takes as a photo to send on: a file id of this bot's (a customer's
    photo relayed to an agent) or a public link; None for anything else."""
    if media_url is None:
        return None
    if media_url.startswith(FILE):
        return media_url.removeprefix(FILE)
    return media_url if media_url.startswith("https://") else None


def provider_id(chat_id: int, message_id: int) -> str:
    """Telegram numbers messages per chat, so the chat is part of a sent message's id."""
    return f"{chat_id}:{message_id}"


_BOLD = re.compile(r"\*([^*\n]{1,200})\*")


def to_html(text: str) -> str:
    """Our texts mark bold as WhatsApp does (``*Ya*``); Telegram gets it as HTML, with
    everything else escaped so a customer's "<b>" or "&" in their address shows as typed."""
    return _BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


class RetryLater(Exception):
    """Telegram's flood control: try again after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


SendOne = Callable[[Reply], Awaitable[str | None]]


async def deliver(
    replies: list[Reply],
    send_one: SendOne,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Send each reply in order, waiting out flood control (429 ``retry_after``), and
    record on the logged message whether it went and under which Telegram id."""
    for reply in replies:
        waited = 0.0
        for attempt in range(1, ATTEMPTS + 1):
            try:
                provider_id = await send_one(reply)
            except RetryLater as exc:
                if attempt == ATTEMPTS or waited + exc.seconds > MAX_RETRY_WAIT:
                    await _failed(reply, f"flood control: {exc}")
                    break
                waited += exc.seconds
                await sleep(exc.seconds)
                continue
            except Exception as exc:  # the library's own errors: blocked, chat not found
                log.warning("telegram send failed: %s", type(exc).__name__)
                await _failed(reply, f"{type(exc).__name__}: {exc}")
                break
            if reply.message_id is not None:
                await mark_sent(reply.message_id, provider_id)
            break


async def send_images(reply: Reply, send_photo: Callable[[Image], Awaitable[object]]) -> None:
    """A reply's pictures, after its text. The text already went and stands on its own,
    so a picture that fails is logged and skipped rather than retried with the text."""
    for image in reply.images:
        try:
            await send_photo(image)
        except Exception as exc:  # the library's own errors, flood control included
            log.warning("telegram photo %s not sent: %s", image.filename, type(exc).__name__)


async def _failed(reply: Reply, error: str) -> None:
    if reply.message_id is not None:
        await mark_failed(reply.message_id, error)
