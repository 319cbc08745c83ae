"""The Telegram channel of ``langgan run``, the same whichever library drives it: the
replies of each turn leave through its send queue (per chat in order, within Telegram's
rates), a message the shop starts goes out from the outbox, and every send ends as a
``Delivery``. A driver (``aiogram_driver``, ``ptb_driver``) says only what its library
does differently: how it reads an update, sends a message or a photo, starts, stops,
and names what went wrong.

A channel is made to send (``langgan sweep`` needs no more, and no engine); given an
engine with ``receive_with``, it also takes updates, by webhook or by polling."""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Self

from bot.conversation.engine import Engine
from bot.dispatcher import ApprovedTemplate, Delivery
from bot.inbound import Image, Reply, with_buttons
from bot.rate_limits import telegram_limits
from bot.send_queue import SendQueue
from bot.telegram.common import (
    CAPTION,
    bot_id,
    photo_reference,
    provider_id,
    send_images,
    to_html,
)


class TelegramChannel(ABC):
    name: str

    def __init__(
        self,
        token: str,
        *,
        rate: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``sleep`` and ``clock`` pace the sends (rate limits, flood control's waits):
        a test gives its own, and nothing waits."""
        self._engine: Engine | None = None
        self.bot_id = bot_id(token)
        self.limits = telegram_limits(rate, clock, sleep)
        self.outgoing = SendQueue(self._send_reply, limits=self.limits, sleep=sleep)

    @property
    def engine(self) -> Engine:
        self._check_receiving()
        assert self._engine is not None
        return self._engine

    def _check_receiving(self) -> None:
        """Updates need the engine: a channel made only to send refuses them."""
        if self._engine is None:
            raise RuntimeError("this Telegram channel only sends: receive_with(engine) first")

    def receive_with(self, engine: Engine) -> Self:
        """Take updates too: each through ``engine``, its replies out through this
        channel's send queue."""
        self._engine = engine
        self._receive(engine)
        return self

    # -- what each library does its own way --

    @abstractmethod
    def _receive(self, engine: Engine) -> None:
        """Hand the library's message updates to ``engine`` (see ``receive_with``)."""

    async def _start(self) -> None:
        """Ready the library before its first request (most need nothing)."""
        return None

    @abstractmethod
    def _message(self, chat_id: int, html: str, keys: Reply | None) -> Awaitable[Any]:
        """Send a text; ``keys`` is the reply whose buttons go under it (none given: the
        chat's keyboard is left as it is). Awaited, the message Telegram made."""

    @abstractmethod
    def _photo(self, chat_id: int, photo: str | Image, caption: str | None) -> Awaitable[Any]:
        """Send a picture: a Telegram file id or a link, or an image's bytes."""

    @abstractmethod
    def _ended(self, exc: Exception) -> Delivery | None:
        """How a send that raised ``exc`` ended (None: not the library's error)."""

    @abstractmethod
    async def feed(self, update: dict[str, Any]) -> None:
        """Handle one update from the webhook: committed, its replies queued. Raises
        UnusableUpdate when the library cannot read it."""

    @abstractmethod
    async def start_polling(self) -> None: ...

    @abstractmethod
    async def set_webhook(self, url: str, secret: str) -> None: ...

    async def _stop_receiving(self) -> None:
        """Stop polling, when it polls."""
        return None

    @abstractmethod
    async def _close_library(self) -> None: ...

    # -- the same for every library --

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
        photo = photo_reference(media_url)
        if photo is not None and len(text) <= CAPTION:
            # A customer's photo relayed to an agent: the picture, the words under it.
            return await self._send(address, self._photo(int(address), photo, to_html(text)))
        keys = with_buttons(text, buttons) if buttons is not None else None
        return await self._send(address, self._message(int(address), to_html(text), keys))

    async def _send_reply(self, address: str, reply: Reply) -> Delivery:
        """A reply from the send queue: its text and buttons, then its pictures."""
        await self._start()
        delivery = await self._send(
            address, self._message(int(address), to_html(reply.text), reply)
        )
        if delivery.status == "sent" and reply.images:
            await send_images(reply, lambda image: self._photo(int(address), image, None))
        return delivery

    async def _send(self, address: str, request: Awaitable[Any]) -> Delivery:
        try:
            sent = await request
        except Exception as exc:
            ended = self._ended(exc)
            if ended is None:
                raise
            return ended
        return Delivery("sent", provider_id=provider_id(self.bot_id, int(address), sent.message_id))

    async def drain(self) -> None:
        """Until every reply queued so far is sent and recorded (tests, a clean stop)."""
        await self.outgoing.drain()

    async def close(self) -> None:
        await self._stop_receiving()
        await self.outgoing.close()
        await self._close_library()
