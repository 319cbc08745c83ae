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
from crm_core.customers.phones import try_normalize_phone
from crm_core.outreach.message_log import mark_failed, mark_sent

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


# Telegram: user and chat ids have at most 52 significant bits, and a private chat's id
# is its user's, so greater than zero.
MAX_ID = 2**52


class UnusableUpdate(Exception):
    """An update the library could not read, or one no Telegram chat could have sent (a
    chat id of 2**70, a user id that is not a whole number). Answered and dropped: an
    error status would only make Telegram deliver it again, for ever. Its text names
    what is wrong, never what the update says."""


def read_message(message: Any, update_id: int, bot: str) -> Inbound | None:
    """``inbound_from_message``, with an unusable message logged once, by what is wrong
    with it (never its content), and dropped: a library that reads loosely
    (python-telegram-bot takes ``"id": "abc"``) hands on what Telegram never sends."""
    try:
        return inbound_from_message(message, update_id, bot)
    except UnusableUpdate as exc:
        reason = str(exc)
    except (TypeError, ValueError, AttributeError, IndexError, KeyError) as exc:
        reason = f"a field of the wrong kind ({type(exc).__name__})"
    log.warning("telegram update %s dropped: %s", update_id, reason)
    return None


def check_raw_ids(update: dict[str, Any]) -> None:
    """Raise UnusableUpdate when a message's sender or chat id is not a whole number in
    the JSON itself: pydantic (aiogram) reads ``"5"`` as 5 and ``true`` as 1, and a reply
    to chat 1 is no answer to anybody who wrote."""
    message = update.get("message")
    for part in ("from", "chat"):
        who = message.get(part) if isinstance(message, dict) else None
        if isinstance(who, dict) and type(who.get("id")) is not int:
            raise UnusableUpdate("a user or chat id that is not a whole number")


def _check_id(value: Any) -> None:
    if type(value) is not int or not 0 < value < MAX_ID:
        raise UnusableUpdate("a user or chat id that is not a Telegram id")


def _check_text(value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise UnusableUpdate("a text field that is not text")


def inbound_from_message(message: Any, update_id: int, bot: str) -> Inbound | None:
    """The ``Inbound`` for a private-chat message, or None for what the shop's bot
    does not take (group chats, channel posts, service messages without a sender);
    raises UnusableUpdate for ids no Telegram chat has. ``bot`` is the bot's id (see
    ``bot_id``): a quoted message is named with it."""
    user = getattr(message, "from_user", None)
    chat = getattr(message, "chat", None)
    if user is None or chat is None or getattr(chat, "type", "private") != "private":
        return None
    _check_id(user.id)
    _check_id(chat.id)
    for value in (getattr(message, "text", None), getattr(message, "caption", None)):
        _check_text(value)
    _check_text(user.first_name)
    received = getattr(message, "date", None)
    if not isinstance(received, datetime):  # Telegram dates every message
        raise UnusableUpdate("a message without its date")
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
    reply_to = legacy = sent_at = None
    if quoted is not None and getattr(quoted_user, "is_bot", False):
        reply_to = provider_id(bot, chat.id, quoted.message_id)
        legacy, sent_at = legacy_provider_id(chat.id, quoted.message_id), quoted.date
    return Inbound(
        channel=CHANNEL,
        sender=str(chat.id),
        reply_to=reply_to,
        reply_to_legacy=legacy,
        reply_to_sent_at=sent_at,
        text=text,
        # The dedupe key: update ids are the bot's own, and a new bot's may repeat them.
        external_id=f"{bot}:{update_id}",
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


def bot_id(token: str) -> str:
    """The bot's own id: the number before the colon of its token (``123456:AAE...``).
    Only this part of a token is ever kept or logged; the rest is the bot's secret."""
    head, colon, _ = token.partition(":")
    return head if colon and head.isdecimal() and len(head) <= 20 else "0"


def provider_id(bot: str, chat_id: int, message_id: int) -> str:
    """A sent message's id, as the message log keeps it: ``bot:chat:message``. Telegram
    numbers messages per chat and per bot, and a new bot starts again at 1, so both the
    chat and the bot are part of it: a shop that moves to a new bot keeps its history."""
    return f"{bot}:{chat_id}:{message_id}"


def legacy_provider_id(chat_id: int, message_id: int) -> str:
    """The id the log gave a sent message before it named the bot: ``chat:message``.
    Such a row may be another bot's, so a match by it is checked against the time the
    message was sent (see bot.agents.conversations)."""
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
