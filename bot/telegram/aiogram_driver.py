"""The aiogram driver: a ``Router`` a shop can mount in its own aiogram bot, and the
Telegram channel (``bot.telegram.channel``) on aiogram, for polling and webhooks."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import DeleteWebhook, GetUpdates, SendMessage, SendPhoto, SetWebhook
from aiogram.methods.base import Response
from aiogram.types import (
    BufferedInputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.conversation.engine import Engine
from bot.dispatcher import Delivery
from bot.inbound import Image, Reply
from bot.send_queue import SendQueue
from bot.telegram.channel import TelegramChannel
from bot.telegram.common import (
    RetryLater,
    UnusableUpdate,
    bot_id,
    check_raw_ids,
    deliver,
    provider_id,
    read_message,
    send_images,
    to_html,
)
from bot.telegram.json_session import JsonSession

# aiogram reads every answer through ``Response[method.__returning__]``, built anew per
# call; pydantic keeps a parametrised model only in a weak cache, so after each full
# garbage collection the next send re-created it and rebuilt its schema (about 4 ms, some
# 6% of the service's CPU under load). Holding them here, for every method the driver
# calls, builds each one once.
RESPONSE_TYPES = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (SendMessage, SendPhoto, SetWebhook, DeleteWebhook, GetUpdates)
)


def keyboard(reply: Reply) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    return _keyboard(reply.choices, reply.contact_button)


@functools.lru_cache(maxsize=512)
def _keyboard(
    choices: tuple[str, ...], contact_button: str | None
) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    """Made once for each set of buttons: most replies carry one of a few (the menu, a
    step's choices), and building aiogram's models for each reply was 2% of the live
    service's event loop (py-spy). Nothing changes them once made (sending only reads
    them), so one serves every send."""
    rows = [[KeyboardButton(text=choice)] for choice in choices]
    if contact_button:
        rows.insert(0, [KeyboardButton(text=contact_button, request_contact=True)])
    if not rows:
        return ReplyKeyboardRemove()
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)


def build_router(
    engine: Engine, outgoing: SendQueue | None = None, **deliver_options: Any
) -> Router:
    """Langgan's handlers as an aiogram ``Router``: include it in any ``Dispatcher``.
    With a send queue (``langgan run``'s), a handler ends once the turn is committed and
    its replies queued; without one (a shop's own bot), it sends them itself."""
    router = Router(name="langgan")

    @router.message()
    async def on_message(message: Message, bot: Bot, event_update: Update) -> None:
        me = bot_id(bot.token)
        inbound = read_message(message, event_update.update_id, me)
        if inbound is None:
            return
        replies = await engine.handle(inbound)
        if outgoing is not None:
            outgoing.put(inbound.sender, replies)
            return

        async def send_one(reply: Reply) -> str | None:
            try:
                sent = await bot.send_message(
                    chat_id=message.chat.id,
                    text=to_html(reply.text),
                    parse_mode="HTML",
                    reply_markup=keyboard(reply),
                )
            except TelegramRetryAfter as exc:
                raise RetryLater(float(exc.retry_after)) from exc
            await send_images(
                reply,
                lambda image: bot.send_photo(
                    message.chat.id, BufferedInputFile(image.data, filename=image.filename)
                ),
            )
            return provider_id(me, message.chat.id, sent.message_id)

        await deliver(replies, send_one, **deliver_options)

    return router


class AiogramDriver(TelegramChannel):
    name = "aiogram"

    def __init__(
        self,
        token: str,
        api_url: str,
        *,
        rate: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(token, rate=rate, sleep=sleep, clock=clock)
        session = JsonSession(api=TelegramAPIServer.from_base(api_url))
        self.bot = Bot(token, session=session)
        self.dispatcher = Dispatcher()
        self._polling: asyncio.Task[None] | None = None

    def _receive(self, engine: Engine) -> None:
        self.dispatcher.include_router(build_router(engine, self.outgoing))

    def _message(self, chat_id: int, html: str, keys: Reply | None) -> Awaitable[Message]:
        markup = keyboard(keys) if keys is not None else None
        return self.bot.send_message(
            chat_id=chat_id, text=html, parse_mode="HTML", reply_markup=markup
        )

    def _photo(self, chat_id: int, photo: str | Image, caption: str | None) -> Awaitable[Message]:
        if isinstance(photo, Image):
            upload = BufferedInputFile(photo.data, filename=photo.filename)
            return self.bot.send_photo(chat_id, upload)
        return self.bot.send_photo(chat_id=chat_id, photo=photo, caption=caption, parse_mode="HTML")

    def _ended(self, exc: Exception) -> Delivery | None:
        if isinstance(exc, TelegramRetryAfter):
            return Delivery(
                "retry", error=f"flood control: retry after {exc.retry_after}s",
                retry_after=float(exc.retry_after),
            )  # fmt: skip
        if isinstance(exc, TelegramNetworkError):
            # aiogram names the cause first: a refused connection sent nothing; a
            # timeout or a dropped connection may have been after Telegram took it.
            never_left = exc.message.startswith("ClientConnectorError")
            return Delivery("retry", error=type(exc).__name__, maybe_sent=not never_left)
        if isinstance(exc, TelegramServerError):
            return Delivery("retry", error=type(exc).__name__)
        if isinstance(exc, TelegramAPIError):
            return Delivery("failed", error=f"{type(exc).__name__}: {exc.message}")
        return None

    async def feed(self, update: dict[str, Any]) -> None:
        self._check_receiving()
        check_raw_ids(update)
        try:
            parsed = Update.model_validate(update, context={"bot": self.bot})
        except ValueError as exc:  # pydantic's ValidationError
            # Named by the error's type alone: pydantic's message quotes the update.
            raise UnusableUpdate(f"aiogram cannot read it ({type(exc).__name__})") from None
        await self.dispatcher.feed_update(self.bot, parsed)

    async def start_polling(self) -> None:
        self._check_receiving()
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._polling = asyncio.create_task(
            # One update after another, in Telegram's order: aiogram's default of a task
            # per update could answer a chat's second message before its first.
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=10,
                handle_as_tasks=False,
            )
        )

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=["message"])

    async def _stop_receiving(self) -> None:
        if self._polling is not None:
            await self.dispatcher.stop_polling()
            await asyncio.gather(self._polling, return_exceptions=True)

    async def _close_library(self) -> None:
        await self.bot.session.close()
