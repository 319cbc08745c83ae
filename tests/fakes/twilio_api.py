"""A fake Twilio REST API on 127.0.0.1: the real twilio library sends to it, and tests
read what each customer was sent, in what form, and when it arrived.

It answers ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (checking basic auth) with
a message resource, and can answer the next sends with an error: a 429, a 500, or a
4xx carrying Twilio's error code (63016: outside the 24-hour window)."""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.local_server import serve

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "twilio-auth-token-for-tests"
SENDER = "whatsapp:+6281100001111"


@dataclass
class SentMessage:
    to: str
    body: str | None
    content_sid: str | None
    content_variables: str | None
    status_callback: str | None
    media_url: str | None
    at: float  # this server's clock, when the request arrived
    sid: str


@dataclass
class FakeTwilio:
    sent: list[SentMessage] = field(default_factory=list)
    attempts: int = 0
    failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    url: str = ""
    # When a request arrived, by this clock: a test sets the one its sender paces by.
    clock: Callable[[], float] = time.monotonic
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _sids: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeTwilio:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", self._create)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def until(self, condition: Callable[[], bool]) -> None:
        """Until ``condition`` holds, asked again after each message this server takes."""
        async with self._arrived:
            await self._arrived.wait_for(condition)

    def fail_next(self, status: int, *, code: int | None = None, times: int = 1) -> None:
        body = {"status": status, "message": f"fake failure {status}", "code": code}
        self.failures.extend([(status, body)] * times)

    def to(self, phone: str) -> list[SentMessage]:
        return [m for m in self.sent if m.to == f"whatsapp:{phone}"]

    async def _create(self, request: web.Request) -> web.Response:
        self.attempts += 1
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response(
                {"status": 401, "message": "Authenticate", "code": 20003}, status=401
            )
        form = await request.post()
        if self.failures:
            status, body = self.failures.pop(0)
            return web.json_response(body, status=status)
        if form.get("From") != SENDER:
            return web.json_response(
                {"status": 400, "message": "bad From", "code": 21212}, status=400
            )
        sid = f"SM{next(self._sids):032d}"
        self.sent.append(
            SentMessage(
                to=str(form.get("To")),
                body=_text(form.get("Body")),
                content_sid=_text(form.get("ContentSid")),
                content_variables=_text(form.get("ContentVariables")),
                status_callback=_text(form.get("StatusCallback")),
                media_url=_text(form.get("MediaUrl")),
                at=self.clock(),
                sid=sid,
            )
        )
        async with self._arrived:
            self._arrived.notify_all()
        return web.json_response(
            {"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From"),
             "body": form.get("Body"), "account_sid": request.match_info["account"]},
            status=201,
        )  # fmt: skip


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
