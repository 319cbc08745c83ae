"""``langgan run``: what ``bot.bootstrap`` assembles, behind the web server, until stopped."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from typing import Any

from aiohttp import web

from bot import logs
from bot.bootstrap import Clock, opened, wall_clock
from bot.settings import Settings
from bot.whatsapp.channel import WhatsAppChannel
from crm_core.store import redact

log = logging.getLogger("langgan")


def channel_states(settings: Settings) -> dict[str, dict[str, Any]]:
    telegram: dict[str, Any] = {"enabled": settings.telegram.enabled}
    if settings.telegram.enabled:
        telegram.update(driver=settings.telegram.driver, mode=settings.telegram.mode)
    whatsapp: dict[str, Any] = {"enabled": settings.whatsapp.enabled}
    if settings.whatsapp.enabled:
        whatsapp.update(sender=settings.whatsapp.sender)
    return {"telegram": telegram, "whatsapp": whatsapp}


async def run(
    settings: Settings,
    stop: asyncio.Event | None = None,
    clock: Clock = wall_clock,
    ready: asyncio.Event | None = None,
) -> None:
    """``langgan run``: every configured channel, the web server and the timed jobs (one
    ticker on ``clock``), until stopped. ``ready`` is set once all of them have started."""
    logs.quiet()
    stop = stop or _stop_on_signals()
    embedded = settings.db_url.startswith("sqlite")
    async with opened(settings, clock, bring_up_to_date=embedded) as langgan:
        langgan.receive()
        telegram, whatsapp = langgan.telegram, langgan.whatsapp
        webhook = telegram is not None and settings.telegram.mode == "webhook"
        app = web_app(settings, telegram if webhook else None, whatsapp)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        dispatcher = langgan.dispatcher()
        try:
            # What an earlier run decided and could not send goes first: a chat's reply
            # left by a crash before the answer to its next message.
            await dispatcher.run_once()
            site = web.TCPSite(runner, settings.http_host, settings.http_port)
            await site.start()
            log.info(
                "store %s; web server on http://%s:%s",
                redact(settings.db_url),
                settings.http_host,
                settings.http_port,
            )
            if telegram is not None:
                await start_telegram(telegram, settings)
            if whatsapp is not None:
                log.info("whatsapp takes messages at %s/webhooks/whatsapp", whatsapp.public_url)
            ticking = asyncio.create_task(langgan.ticker(dispatcher).run(stop))
            if ready is not None:
                ready.set()
            settle_memory()
            if telegram is None and whatsapp is None:
                log.warning(
                    "no channel is configured: set TELEGRAM_BOT_TOKEN to open Telegram, or "
                    "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM to open "
                    "WhatsApp; the web server and health check still run"
                )
            await stop.wait()
            await ticking
        finally:
            # No webhook comes in once this returns; the channels close after it.
            await runner.cleanup()


def settle_memory() -> None:
    """Once everything long-lived is loaded (libraries, templates, lexicon, ORM models),
    move it out of the collector's sight: each full collection re-walked all of it, a
    120-195 ms stall of the event loop every 15 s or so under load."""
    gc.collect()
    gc.freeze()


async def start_telegram(telegram: Any, settings: Settings) -> None:
    if settings.telegram.mode == "webhook":
        assert settings.public_url and settings.telegram.webhook_secret
        url = settings.public_url.rstrip("/") + "/webhooks/telegram"
        await telegram.set_webhook(url, settings.telegram.webhook_secret)
        log.info("telegram (%s) takes updates by webhook at %s", telegram.name, url)
    else:
        await telegram.start_polling()
        log.info("telegram (%s) is polling for updates", telegram.name)


def web_app(settings: Settings, telegram: Any, whatsapp: WhatsAppChannel | None) -> web.Application:
    from bot.web import build_app

    return build_app(
        telegram=telegram,
        telegram_secret=settings.telegram.webhook_secret,
        whatsapp=whatsapp,
        channels=channel_states(settings),
    )


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
