"""The far ends of the webhook benchmark: a fake Telegram Bot API and a fake Twilio
Messages API on one port, which answer each send the way the real ones do and tell the
load generator when a customer's reply arrives.

The fakes in ``tests/fakes`` parse every field and keep every message for a test to
assert on. Here the fakes share a core with the load generator, beside a bare bot that
answers over a thousand messages a second, so a send costs one regular expression and
a canned answer, and nothing is kept but a count per waiting customer."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from aiohttp import web

TOKEN = "123456:bench-token"
ACCOUNT_SID = "AC" + "2" * 32
AUTH_TOKEN = "twilio-auth-token-for-the-bench"
SENDER = "whatsapp:+6281100001111"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Toko", "username": "toko_bot"}

# Langgan's aiogram driver posts a send without files as JSON (bot/telegram/json_session.py),
# aiogram itself (the bare bot) as an urlencoded form, and a file as multipart.
_CHAT_JSON = re.compile(rb'"chat_id": ?(-?\d+)')
_CHAT_FORM = re.compile(rb"(?:^|&)chat_id=(-?\d+)")
_CHAT_PART = re.compile(rb'name="chat_id"\r\n(?:[^\r\n]+\r\n)*\r\n(-?\d+)')
_TO_FORM = re.compile(rb"(?:^|&)To=([^&]*)")


@dataclass
class Waiter:
    """One customer's message in flight: when its first reply came, how many came, and
    done once as many as expected have come."""

    expected: int
    first: float | None = None
    count: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def arrived(self, at: float) -> None:
        if self.first is None:
            self.first = at
        self.count += 1
        if self.count >= self.expected:
            self.done.set()


@dataclass
class Replies:
    """Who waits for replies, by address (a Telegram chat id, a WhatsApp phone). The
    load generator registers a message before posting it; a reply to nobody waiting
    (more replies than the conversation should give) is counted as stray."""

    waiting: dict[str, Waiter] = field(default_factory=dict)
    stray: int = 0

    def expect(self, address: str, count: int) -> Waiter:
        waiter = self.waiting[address] = Waiter(count)
        return waiter

    def forget(self, address: str) -> None:
        self.waiting.pop(address, None)

    def arrived(self, address: str) -> None:
        waiter = self.waiting.get(address)
        if waiter is None:
            self.stray += 1
        else:
            waiter.arrived(time.perf_counter())


@dataclass
class FakeApis:
    replies: Replies = field(default_factory=Replies)
    url: str = ""
    # Telegram numbers messages per chat; one counter for all chats keeps the ids unique
    # per chat too, which is all the service relies on.
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _sids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeApis:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._telegram)
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", self._twilio)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _telegram(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await request.read()
        if method not in ("sendMessage", "sendPhoto"):
            # setWebhook, deleteWebhook, getMe: nothing the benchmark counts.
            result: object = BOT_USER if method == "getMe" else True
            return web.json_response({"ok": True, "result": result})
        found = _CHAT_JSON.search(body) or _CHAT_FORM.search(body) or _CHAT_PART.search(body)
        if found is None:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "chat_id missing"}, status=400
            )
        chat_id = found.group(1).decode()
        if method == "sendMessage":  # a reply's pictures follow its text: not counted
            self.replies.arrived(chat_id)
        answer = (
            f'{{"ok":true,"result":{{"message_id":{next(self._message_ids)},'
            f'"date":{int(time.time())},"chat":{{"id":{chat_id},"type":"private"}}}}}}'
        )
        return web.Response(text=answer, content_type="application/json")

    async def _twilio(self, request: web.Request) -> web.Response:
        found = _TO_FORM.search(await request.read())
        if found is None:
            return web.json_response({"status": 400, "message": "To missing"}, status=400)
        to = unquote_plus(found.group(1).decode())
        self.replies.arrived(to.removeprefix("whatsapp:"))
        sid = f"SM{next(self._sids):032d}"
        answer = {"sid": sid, "status": "queued", "to": to, "from": SENDER,
                  "account_sid": request.match_info["account"]}  # fmt: skip
        return web.Response(text=json.dumps(answer), status=201, content_type="application/json")
