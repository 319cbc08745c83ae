"""The python-telegram-bot driver: handlers a shop can add to its own ``Application``,
and the Telegram channel (``bot.telegram.channel``) on python-telegram-bot, for polling
and webhooks (webhooks arrive through Langgan's own web server, which checks the secret
in constant time)."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    ContextTypes,
    MessageHandler,
    filters,
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
    deliver,
    provider_id,
    read_message,
    send_images,
    to_html,
)


def keyboard(reply: Reply) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    rows = [[KeyboardButton(choice)] for choice in reply.choices]
    if reply.contact_button:
        rows.insert(0, [KeyboardButton(reply.contact_button, request_contact=True)])
    if not rows:
        return ReplyKeyboardRemove()
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after will become a timedelta; accept either.
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def build_handlers(
    engine: Engine, outgoing: SendQueue | None = None, **deliver_options: Any
) -> list[BaseHandler[Any, Any, Any]]:
    """Langgan's handlers for python-telegram-bot: add them to any ``Application``.
    With a send queue (``langgan run``'s), a handler ends once the turn is committed and
    its replies queued; without one (a shop's own bot), it sends them itself."""

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None:
            return
        me = bot_id(context.bot.token)
        inbound = read_message(message, update.update_id, me)
        if inbound is None:
            return
        replies = await engine.handle(inbound)
        if outgoing is not None:
            outgoing.put(inbound.sender, replies)
            return

        async def send_one(reply: Reply) -> str | None:
            try:
                sent = await context.bot.send_message(
                    chat_id=message.chat.id,
                    text=to_html(reply.text),
                    parse_mode="HTML",
                    reply_markup=keyboard(reply),
                )
            except RetryAfter as exc:
                raise RetryLater(_seconds(exc)) from exc
            await send_images(
                reply,
                lambda image: context.bot.send_photo(
                    message.chat.id, image.data, filename=image.filename
                ),
            )
            return provider_id(me, message.chat.id, sent.message_id)

        await deliver(replies, send_one, **deliver_options)

    return [MessageHandler(filters.UpdateType.MESSAGE, on_message)]


class PtbDriver(TelegramChannel):
    name = "ptb"

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
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .build()
        )
        self._started = False
        self._starting = asyncio.Lock()
        self._polling = False

    def _receive(self, engine: Engine) -> None:
        for handler in build_handlers(engine, self.outgoing):
            self.application.add_handler(handler)

    async def _start(self) -> None:
        # Once, however many webhooks arrive together before it has: python-telegram-bot
        # refuses a second start.
        async with self._starting:
            if not self._started:
                await self.application.initialize()
                await self.application.start()
                self._started = True

    def _message(self, chat_id: int, html: str, keys: Reply | None) -> Awaitable[Message]:
        markup = keyboard(keys) if keys is not None else None
        return self.application.bot.send_message(
            chat_id=chat_id, text=html, parse_mode="HTML", reply_markup=markup
        )

    def _photo(self, chat_id: int, photo: str | Image, caption: str | None) -> Awaitable[Message]:
        bot = self.application.bot
        if isinstance(photo, Image):
            return bot.send_photo(chat_id, photo.data, filename=photo.filename)
        return bot.send_photo(chat_id=chat_id, photo=photo, caption=caption, parse_mode="HTML")

    def _ended(self, exc: Exception) -> Delivery | None:
        if isinstance(exc, RetryAfter):
            seconds = _seconds(exc)
            return Delivery(
                "retry", error=f"flood control: retry after {seconds}s", retry_after=seconds
            )
        if isinstance(exc, TimedOut):  # it may have arrived before the answer was late
            return Delivery("retry", error=type(exc).__name__, maybe_sent=True)
        if isinstance(exc, NetworkError):
            return Delivery("retry", error=type(exc).__name__)
        if isinstance(exc, TelegramError):
            return Delivery("failed", error=f"{type(exc).__name__}: {exc.message}")
        return None

    async def feed(self, update: dict[str, Any]) -> None:
        self._check_receiving()
        await self._start()
        try:
            parsed = Update.de_json(update, self.application.bot)
        except Exception as exc:  # it reads by hand: a wrong shape fails in any way
            raise UnusableUpdate(
                f"python-telegram-bot cannot read it ({type(exc).__name__})"
            ) from None
        await self.application.process_update(parsed)

    async def start_polling(self) -> None:
        self._check_receiving()
        await self._start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(timeout=10, allowed_updates=["message"])
        self._polling = True

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._start()
        await self.application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=["message"]
        )

    async def _stop_receiving(self) -> None:
        if self._polling and self.application.updater is not None:
            await self.application.updater.stop()

    async def _close_library(self) -> None:
        if self._started:
            await self.application.stop()
            await self.application.shutdown()
