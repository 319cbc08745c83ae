"""The python-telegram-bot driver: handlers a shop can add to its own ``Application``,
and a runner for polling and webhooks (webhooks arrive through Langgan's own web server,
which checks the secret in constant time)."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
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

from bot.conversation import Engine
from bot.dispatcher import ApprovedTemplate, Delivery
from bot.inbound import Reply, with_buttons
from bot.rate_limits import telegram_limits
from bot.send_queue import SendQueue
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


class PtbDriver:
    name = "ptb"

    def __init__(
        self,
        engine: Engine,
        token: str,
        api_url: str,
        *,
        rate: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``sleep`` and ``clock`` pace the sends (rate limits, flood control's waits):
        a test gives its own, and nothing waits."""
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .build()
        )
        self.bot_id = bot_id(token)
        self.engine = engine
        self.limits = telegram_limits(rate, clock, sleep)
        self.outgoing = SendQueue(self._send_reply, limits=self.limits, sleep=sleep)
        for handler in build_handlers(engine, self.outgoing):
            self.application.add_handler(handler)
        self._started = False
        self._starting = asyncio.Lock()
        self._polling = False

    async def _start(self) -> None:
        # Once, however many webhooks arrive together before it has: python-telegram-bot
        # refuses a second start.
        async with self._starting:
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
        buttons: dict[str, object] | None = None,
    ) -> Delivery:
        """A message the shop starts (from the outbox), to a private chat (Telegram has
        no reply window, so a WhatsApp template is never needed); or a reply the outbox
        held through a restart, with its buttons."""
        await self._start()
        await self.limits.wait(address)
        bot = self.application.bot
        photo = photo_reference(media_url)
        if photo is not None and len(text) <= CAPTION:
            # A customer's photo relayed to an agent: the picture, the words under it.
            return await self._send(
                address,
                bot.send_photo(
                    chat_id=int(address), photo=photo, caption=to_html(text), parse_mode="HTML"
                ),
            )
        markup = keyboard(with_buttons(text, buttons)) if buttons is not None else None
        return await self._send(
            address,
            bot.send_message(
                chat_id=int(address), text=to_html(text), parse_mode="HTML", reply_markup=markup
            ),
        )

    async def _send_reply(self, address: str, reply: Reply) -> Delivery:
        """A reply from the send queue: its text and buttons, then its pictures."""
        await self._start()
        bot = self.application.bot
        delivery = await self._send(
            address,
            bot.send_message(
                chat_id=int(address), text=to_html(reply.text), parse_mode="HTML",
                reply_markup=keyboard(reply),
            ),
        )  # fmt: skip
        if delivery.status == "sent" and reply.images:
            await send_images(
                reply,
                lambda image: bot.send_photo(int(address), image.data, filename=image.filename),
            )
        return delivery

    async def _send(self, address: str, request: Awaitable[Message]) -> Delivery:
        try:
            sent = await request
        except RetryAfter as exc:
            seconds = _seconds(exc)
            return Delivery(
                "retry", error=f"flood control: retry after {seconds}s", retry_after=seconds
            )
        except TimedOut as exc:  # it may have arrived before the answer was late
            return Delivery("retry", error=type(exc).__name__, maybe_sent=True)
        except NetworkError as exc:
            return Delivery("retry", error=type(exc).__name__)
        except TelegramError as exc:
            return Delivery("failed", error=f"{type(exc).__name__}: {exc.message}")
        return Delivery("sent", provider_id=provider_id(self.bot_id, int(address), sent.message_id))

    async def feed(self, update: dict[str, Any]) -> None:
        """Handle one update from the webhook: committed, its replies queued. Raises
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

    async def drain(self) -> None:
        """Until every reply queued so far is sent and recorded (tests, a clean stop)."""
        await self.outgoing.drain()

    async def close(self) -> None:
        if self._polling and self.application.updater is not None:
            await self.application.updater.stop()
        await self.outgoing.close()
        if self._started:
            await self.application.stop()
            await self.application.shutdown()
