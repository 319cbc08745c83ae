"""The bare bots the webhook benchmark sets Langgan beside: the least a bot does for a
message arriving by webhook, through the same libraries, with no store and no logic.

- ``telegram``: an aiogram ``Dispatcher`` whose one handler echoes the text with
  ``bot.send_message``, behind aiogram's own ``SimpleRequestHandler`` (secret token
  checked, the update handled after the HTTP answer, aiogram's default);
- ``whatsapp``: an aiohttp handler that checks Twilio's signature and echoes the body
  with the twilio library's async client.

Run:  python bench/echo_bot.py telegram|whatsapp --port P --api-url URL [...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bench.webhook_fakes import ACCOUNT_SID, AUTH_TOKEN, SENDER, TOKEN

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def telegram_app(api_url: str, secret: str) -> web.Application:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message, bot: Bot) -> None:
        await bot.send_message(chat_id=message.chat.id, text=message.text or "?")

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=secret).register(
        app, path="/webhooks/telegram"
    )
    setup_application(app, dispatcher, bot=bot)
    app.router.add_get("/healthz", healthz)
    return app


def whatsapp_app(api_url: str, public_url: str) -> web.Application:
    validator = RequestValidator(AUTH_TOKEN)
    clients: dict[str, Client] = {}

    async def start(app: web.Application) -> None:
        # The async HTTP client must be made inside the running event loop.
        http = AsyncTwilioHttpClient(timeout=30)
        client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
        client.api.base_url = api_url
        clients["twilio"] = client

    async def incoming(request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(public_url + str(request.rel_url), form, signature):
            raise web.HTTPForbidden()
        await clients["twilio"].messages.create_async(
            from_=SENDER, to=form["From"], body=form.get("Body") or "?"
        )
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    app = web.Application()
    app.on_startup.append(start)
    app.router.add_post("/webhooks/whatsapp", incoming)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("channel", choices=("telegram", "whatsapp"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True, help="the fake Bot API or Twilio API")
    parser.add_argument("--secret", default="", help="Telegram's webhook secret token")
    args = parser.parse_args()
    public_url = f"http://127.0.0.1:{args.port}"
    if args.channel == "telegram":
        app = telegram_app(args.api_url, args.secret)
    else:
        app = whatsapp_app(args.api_url, public_url)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
