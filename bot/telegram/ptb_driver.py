"""The python-telegram-bot driver: handlers a shop can add to its own ``Application``,
and a runner for polling and webhooks (webhooks arrive through Langgan's own web server,
which checks the secret in constant time)."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.conversation import Engine
from bot.dispatcher import ApprovedTemplate, Delivery
from bot.inbound import Reply
from bot.rate_limits import telegram_limits
from bot.telegram.common import (
    CAPTION,
    RetryLater,
    UnusableUpdate,
    bot_id,
    deliver,
    photo_reference,
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


def build_handlers(engine: Engine, **deliver_options: Any) -> list[BaseHandler[Any, Any, Any]]:
    """Langgan's handlers for python-telegram-bot: add them to any ``Application``."""

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None:
            return
        me = bot_id(context.bot.token)
        inbound = read_message(message, update.update_id, me)
        if inbound is None:
            return
        replies = await engine.handle(inbound)

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


class PtbDriver:
    name = "ptb"

    def __init__(self, engine: Engine, token: str, api_url: str, **deliver_options: Any) -> None:
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .build()
        )
        self.bot_id = bot_id(token)
        for handler in build_handlers(engine, **deliver_options):
            self.application.add_handler(handler)
        self._started = False
        self._polling = False
        self.limits = telegram_limits()

    async def _start(self) -> None:
        if not self._started:
            await self.application.initialize()
            await self.application.start()
            self._started = True

    async def send_text(
        self,
        address: str,
        text: str,
        now: datetime,
        template: ApprovedTemplate | None = None,
        media_url: str | None = None,
    ) -> Delivery:
        """A message the shop starts (from the outbox), to a private chat (Telegram has
        no reply window, so a WhatsApp template is never needed)."""
        await self._start()
        await self.limits.wait(address)
        try:
            photo = photo_reference(media_url)
            if photo is not None and len(text) <= CAPTION:
                # A customer's photo relayed to an agent: the picture, the words under it.
                sent = await self.application.bot.send_photo(
                    chat_id=int(address), photo=photo, caption=to_html(text), parse_mode="HTML"
                )
            else:
                sent = await self.application.bot.send_message(
                    chat_id=int(address), text=to_html(text), parse_mode="HTML"
                )
        except RetryAfter as exc:
            return Delivery("retry", error=f"flood control: retry after {_seconds(exc)}s")
        except TimedOut as exc:  # it may have arrived before the answer was late
            return Delivery("retry", error=type(exc).__name__, maybe_sent=True)
        except NetworkError as exc:
            return Delivery("retry", error=type(exc).__name__)
        except TelegramError as exc:
            return Delivery("failed", error=f"{type(exc).__name__}: {exc.message}")
        return Delivery("sent", provider_id=provider_id(self.bot_id, int(address), sent.message_id))

    async def feed(self, update: dict[str, Any]) -> None:
        """Handle one update from the webhook, to the end (replies sent). Raises
        UnusableUpdate when python-telegram-bot cannot read it."""
        await self._start()
        try:
            parsed = Update.de_json(update, self.application.bot)
        except Exception as exc:  # it reads by hand: a wrong shape fails in any way
            raise UnusableUpdate(
                f"python-telegram-bot cannot read it ({type(exc).__name__})"
            ) from None
        await self.application.process_update(parsed)

    async def start_polling(self) -> None:
        await self._start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(timeout=10, allowed_updates=["message"])
        self._polling = True

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._start()
        await self.application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=["message"]
        )

    async def close(self) -> None:
        if self._polling and self.application.updater is not None:
            await self.application.updater.stop()
        if self._started:
            await self.application.stop()
            await self.application.shutdown()
