"""A fake Telegram Bot API on 127.0.0.1: the real aiogram and python-telegram-bot
clients talk HTTP to it, and tests read what the customer was sent.

It answers ``POST /bot{token}/{method}`` with Telegram's envelope, understands both
libraries' encodings (aiogram posts multipart forms, python-telegram-bot urlencoded
forms with nested objects as JSON strings), serves queued updates to ``getUpdates``, and
can answer the next calls to a method with an error such as 429 ``retry_after``."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.local_server import serve

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Toko", "username": "toko_bot"}
# A second bot, for a shop that moves to a new one: ``FakeTelegram(SECOND_TOKEN,
# SECOND_BOT)`` numbers its messages from 1 again, as a new bot does.
SECOND_TOKEN = "654321:OTHER-token"
SECOND_BOT = {"id": 654321, "is_bot": True, "first_name": "Toko Baru", "username": "toko2_bot"}


@dataclass
class Sent:
    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    message_id: int = 0  # what a reply to this message quotes
    date: int = 0  # when Telegram took it, in Unix seconds: a reply quotes this too
    # When the request arrived and when its answer was written (``time.monotonic``):
    # a client killed in between had this message in flight.
    arrived: float = 0.0
    answered: float | None = None

    @property
    def buttons(self) -> list[str]:
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [b["text"] if isinstance(b, dict) else b for row in rows for b in row]

    @property
    def contact_buttons(self) -> list[str]:
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [
            b["text"]
            for row in rows
            for b in row
            if isinstance(b, dict) and b.get("request_contact")
        ]


@dataclass
class Photo:
    chat_id: int
    data: bytes  # the uploaded file as received
    filename: str | None  # or the file id / link it was sent by
    caption: str | None = None


@dataclass
class FakeTelegram:
    token: str = TOKEN  # the one bot this server answers for
    bot: dict[str, Any] = field(default_factory=lambda: dict(BOT_USER))
    clock: Callable[[], float] = time.time  # what a sent message's date says
    sent: list[Sent] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    url: str = ""
    # How long Telegram takes to answer a sendMessage: the message is delivered when the
    # request arrives, whether or not the client is still there to read the answer.
    delay: float = 0.0
    # How long a request takes to reach Telegram: a client that dies meanwhile (its
    # connection closed) never had its message delivered.
    latency: float = 0.0
    # Telegram numbers messages per chat, not globally.
    _message_ids: dict[int, itertools.count] = field(default_factory=dict)  # type: ignore[type-arg]
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    offsets: list[int] = field(default_factory=list)  # each getUpdates call's offset
    _polled: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, method: str, status: int, *, times: int = 1, **parameters: Any) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status}
        if status == 429:
            body["description"] = f"Too Many Requests: retry after {parameters.get('retry_after')}"
            body["parameters"] = parameters
        else:
            body["description"] = parameters.get("description", "Bad Request")
        self.failures.setdefault(method, []).extend([(status, body)] * times)

    def queue_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        self._new_update.set()

    async def wait_confirmed(self, update_id: int, polls: int = 2) -> None:
        """Until the bot has asked ``polls`` times for the updates after ``update_id``:
        it has confirmed that one and every one before it, and polled again since."""
        async with self._polled:
            await self._polled.wait_for(lambda: sum(o > update_id for o in self.offsets) >= polls)

    async def wait_sent(self, count: int) -> None:
        """Until ``count`` messages in all have arrived."""
        await self.until(lambda: len(self.sent) >= count)

    async def until(self, condition: Callable[[], bool]) -> None:
        """Until ``condition`` holds, asked again after each request this server answers."""
        async with self._arrived:
            await self._arrived.wait_for(condition)

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def photos_to(self, chat_id: int) -> list[Photo]:
        return [p for p in self.photos if p.chat_id == chat_id]

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        self.calls.append(method)
        params = await _params(request)
        pending = self.failures.get(method)
        if pending:
            status, body = pending.pop(0)
            return web.json_response(body, status=status)
        if self.latency:
            await asyncio.sleep(self.latency)
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # the sender is gone: it never arrived
        handler = getattr(self, f"_{method.lower()}", None)
        result = await handler(params) if handler else True
        async with self._arrived:
            self._arrived.notify_all()
        return web.json_response({"ok": True, "result": result})

    async def _getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot

    async def _sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        chat_id = int(params["chat_id"])
        message_id = next(self._message_ids.setdefault(chat_id, itertools.count(1)))
        now = int(self.clock())
        sent = Sent(
            chat_id, params["text"], params.get("parse_mode"), markup, message_id, now,
            arrived=time.monotonic(),
        )  # fmt: skip
        self.sent.append(sent)
        async with self._arrived:
            self._arrived.notify_all()
        if self.delay:
            await asyncio.sleep(self.delay)
        sent.answered = time.monotonic()
        return {
            "message_id": message_id,
            "date": now,
            "chat": {"id": chat_id, "type": "private"},
            "from": self.bot,
            "text": params["text"],
        }

    async def _sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        upload = params["photo"]
        if isinstance(upload, str) and upload.startswith("attach://"):
            upload = params[upload.removeprefix("attach://")]
        if isinstance(upload, str):  # a file id or a link: sent on, not uploaded
            self.photos.append(Photo(chat_id, b"", upload, params.get("caption")))
        else:
            self.photos.append(Photo(chat_id, upload.data, upload.filename))
        return {
            "message_id": next(self._message_ids.setdefault(chat_id, itertools.count(1))),
            "date": int(self.clock()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self.bot,
            "photo": [{"file_id": "p1", "file_unique_id": "p1", "width": 800, "height": 450}],
        }

    async def _getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.offsets.append(offset)
        async with self._polled:
            self._polled.notify_all()
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._new_update.clear()
            timeout = min(float(params.get("timeout") or 0), 0.2)
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                return []
        return list(self.updates)


@dataclass
class Upload:
    data: bytes
    filename: str | None


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, str):
            params[key] = value
        elif value.filename and value.filename != key:  # type: ignore[union-attr]
            # An uploaded file (PTB names the part "photo", aiogram "attach://<id>"):
            # keep the bytes, they are not text.
            params[key] = Upload(value.file.read(), value.filename)  # type: ignore[union-attr]
        else:
            params[key] = value.file.read().decode()  # type: ignore[union-attr]
    return params


_update_ids = itertools.count(10_000)


def message_update(
    user_id: int,
    text: str | None = None,
    *,
    first_name: str = "Budi",
    update_id: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A private-chat message update as Telegram sends it."""
    uid = update_id if update_id is not None else next(_update_ids)
    message: dict[str, Any] = {
        "message_id": uid,
        "date": 1_790_000_000 + uid,
        "chat": {"id": user_id, "type": "private", "first_name": first_name},
        "from": {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "id"},
        **fields,
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            # Telegram marks a command with an entity; python-telegram-bot relies on it.
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": uid, "message": message}


async def handled(driver: Any, update: dict[str, Any]) -> None:
    """An update fed to a driver as its webhook feeds it, then its replies waited for:
    the webhook is answered before they go."""
    await driver.feed(update)
    await driver.drain()
