"""The web server: Telegram's and Twilio's webhooks and the health check. One aiohttp application
for every channel, so one port and one TLS front serve them all."""

from __future__ import annotations

import logging
import secrets
from typing import Any, Protocol

from aiohttp import web
from tortoise.connection import connections

from bot.telegram.common import UnusableUpdate
from bot.telegram.webhook_body import read_update
from bot.whatsapp import webhook as whatsapp_webhook
from bot.whatsapp.channel import WhatsAppChannel
from crm_core.errors import InputError

log = logging.getLogger(__name__)

# Bytes, for every request (aiohttp answers 413 past it, before anything reads the body).
# Telegram's largest update (4,096 characters of text, each escaped as a \uXXXX
# surrogate pair, quoting another such message, with entities and a keyboard) is under
# 200 KB, and Twilio's forms are a few KB; a megabyte leaves room and still keeps a
# flood of requests from filling the memory.
MAX_BODY = 1_000_000
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramDriver(Protocol):
    name: str

    async def feed(self, update: dict[str, Any]) -> None: ...


CHANNELS = web.AppKey("channels", dict)
TELEGRAM = web.AppKey("telegram", object)
TELEGRAM_SECRET = web.AppKey("telegram_secret", str)


def build_app(
    *,
    telegram: TelegramDriver | None = None,
    telegram_secret: str | None = None,
    whatsapp: WhatsAppChannel | None = None,
    channels: dict[str, dict[str, Any]] | None = None,
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app[CHANNELS] = channels or {}
    app.router.add_get("/healthz", healthz)
    if telegram is not None:
        if not telegram_secret:
            raise ValueError("a Telegram webhook needs a secret")
        app[TELEGRAM] = telegram
        app[TELEGRAM_SECRET] = telegram_secret
        app.router.add_post("/webhooks/telegram", telegram_webhook)
    if whatsapp is not None:
        whatsapp_webhook.add_routes(app, whatsapp)
    return app


async def telegram_webhook(request: web.Request) -> web.Response:
    # aiohttp keeps a header's bytes that are not UTF-8 as lone surrogates: given back.
    given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
    # Constant time, so the secret cannot be guessed a character at a time.
    if not secrets.compare_digest(given, request.app[TELEGRAM_SECRET].encode()):
        return web.json_response({"error": "wrong or missing secret token"}, status=401)
    try:
        update = read_update(await request.read())
    except InputError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    try:
        await request.app[TELEGRAM].feed(update)  # type: ignore[attr-defined]
    except UnusableUpdate as exc:
        # Answered 200 all the same: Telegram delivers an update again until it gets a
        # 2xx, and this one would fail the same way every time. Logged once, by what
        # is wrong with it, never by what it says.
        log.warning("telegram update %s dropped: %s", update["update_id"], exc)
    except Exception:
        # Telegram retries a failed delivery; the update's id makes the retry harmless.
        log.exception("telegram update %s failed", update["update_id"])
        return web.json_response({"error": "could not handle the update"}, status=500)
    return web.json_response({"ok": True})


async def healthz(request: web.Request) -> web.Response:
    store = "ok"
    try:
        connection = next(iter(connections.all()))
        await connection.execute_query("SELECT 1")
    except Exception as exc:
        store = f"error: {type(exc).__name__}"
    body = {"store": store, "channels": request.app[CHANNELS]}
    return web.json_response(body, status=200 if store == "ok" else 503)
