"""Sending WhatsApp messages through Twilio's REST API with the twilio library's async
client: one sender's rate, retries with back-off, and Twilio's error codes kept."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)

ATTEMPTS = 5
FIRST_BACKOFF = 0.5  # seconds, doubled after each failed attempt
OUTSIDE_WINDOW = "63016"  # Twilio: free text outside the 24-hour window


@dataclass(frozen=True)
class Sent:
    status: str  # queued (Twilio took it), failed, needs_template
    sid: str | None = None
    error_code: str | None = None
    error: str | None = None


class RateLimiter:
    """At most ``rate`` sends a second, spaced evenly: Twilio queues a WhatsApp sender's
    messages at its own rate (80 a second by default) and fails what waits too long."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self.clock()
            if self._next > now:
                await self.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


class TwilioSender:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        api_url: str,
        *,
        rate: float = 80.0,
        status_callback: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``sleep`` and ``clock`` pace the sends (the rate, the retries' back-off): a
        test gives its own, and nothing waits."""
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sender = sender
        self.api_url = api_url
        self.status_callback = status_callback
        self.limiter = RateLimiter(rate, clock, sleep)
        self.sleep = sleep
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    def _ensure_client(self) -> Client:
        # The async HTTP client must be made inside a running event loop.
        if self._client is None:
            self._http = AsyncTwilioHttpClient(timeout=30)
            self._client = Client(self.account_sid, self.auth_token, http_client=self._http)
            self._client.api.base_url = self.api_url
        return self._client

    async def close(self) -> None:
        if self._http is not None and self._http.session is not None:
            await self._http.close()
        self._http = self._client = None

    async def send(
        self,
        to_phone: str,
        *,
        body: str | None = None,
        content_sid: str | None = None,
        variables: dict[str, str] | None = None,
        media_url: str | None = None,
    ) -> Sent:
        """Hand one message to Twilio; 429, 5xx and network errors are retried with
        back-off, other errors are final and come back with Twilio's code."""
        client = self._ensure_client()
        options: dict[str, object] = {"from_": self.sender, "to": f"whatsapp:{to_phone}"}
        if content_sid is not None:
            options["content_sid"] = content_sid
            options["content_variables"] = json.dumps(variables or {})
        else:
            options["body"] = body or ""
        if media_url is not None:  # Twilio fetches the picture from there
            options["media_url"] = [media_url]
        if self.status_callback:
            options["status_callback"] = self.status_callback
        backoff = FIRST_BACKOFF
        last_error = ""
        for attempt in range(1, ATTEMPTS + 1):
            await self.limiter.wait()
            try:
                message = await client.messages.create_async(**options)
            except TwilioRestException as exc:
                if exc.status == 429 or exc.status >= 500:
                    last_error = f"HTTP {exc.status}"
                else:
                    return _refused(exc)
            except (aiohttp.ClientError, TimeoutError) as exc:
                last_error = type(exc).__name__
            else:
                return Sent(message.status or "queued", sid=message.sid)
            if attempt < ATTEMPTS:
                log.warning("twilio send attempt %d failed (%s); retrying", attempt, last_error)
                await self.sleep(backoff)
                backoff *= 2
        return Sent("failed", error=f"gave up after {ATTEMPTS} attempts: {last_error}")


def _refused(exc: TwilioRestException) -> Sent:
    code = str(exc.code) if exc.code is not None else None
    if code == OUTSIDE_WINDOW:
        return Sent(
            "needs_template",
            error_code=code,
            error="outside WhatsApp's 24-hour window: only an approved template may be sent",
        )
    return Sent("failed", error_code=code, error=(exc.msg or "")[:500] or f"HTTP {exc.status}")
