"""Wiring the running service once, at the top: store, engine, channels, web server."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiohttp import web

from bot import logs
from bot.conversation import Engine
from crm_core.settings import Settings
from crm_core.store import open_store, redact
from message_templates import TemplateProblem, Texts

log = logging.getLogger("langgan")


def build_engine(settings: Settings) -> Engine:
    texts = Texts(settings.templates_dir, settings.timezone)
    problems = texts.check()
    if problems:
        raise TemplateProblem("; ".join(problems))
    return Engine(texts, default_language=settings.locale)


def build_telegram(settings: Settings, engine: Engine) -> Any:
    assert settings.telegram_bot_token
    if settings.telegram_driver == "ptb":
        from bot.telegram.ptb_driver import PtbDriver

        return PtbDriver(engine, settings.telegram_bot_token, settings.telegram_api_url)
    from bot.telegram.aiogram_driver import AiogramDriver

    return AiogramDriver(engine, settings.telegram_bot_token, settings.telegram_api_url)


def channel_states(settings: Settings) -> dict[str, dict[str, Any]]:
    telegram: dict[str, Any] = {"enabled": settings.telegram_enabled}
    if settings.telegram_enabled:
        telegram.update(driver=settings.telegram_driver, mode=settings.telegram_mode)
    return {"telegram": telegram}


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """``langgan run``: every configured channel and the web server, until stopped."""
    logs.quiet()
    engine = build_engine(settings)
    stop = stop or _stop_on_signals()
    embedded = settings.db_url.startswith("sqlite")
    async with open_store(settings.db_url, bring_up_to_date=embedded, require_current=True):
        telegram = build_telegram(settings, engine) if settings.telegram_enabled else None
        webhook = telegram is not None and settings.telegram_mode == "webhook"
        app = web_app(settings, telegram if webhook else None)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.http_host, settings.http_port)
        await site.start()
        log.info(
            "store %s; web server on http://%s:%s",
            redact(settings.db_url),
            settings.http_host,
            settings.http_port,
        )
        try:
            if telegram is None:
                log.warning(
                    "no channel is configured: set TELEGRAM_BOT_TOKEN to open Telegram; "
                    "the web server and health check still run"
                )
            elif webhook:
                assert settings.public_url and settings.telegram_webhook_secret
                url = settings.public_url.rstrip("/") + "/webhooks/telegram"
                await telegram.set_webhook(url, settings.telegram_webhook_secret)
                log.info("telegram (%s) takes updates by webhook at %s", telegram.name, url)
            else:
                await telegram.start_polling()
                log.info("telegram (%s) is polling for updates", telegram.name)
            await stop.wait()
        finally:
            if telegram is not None:
                await telegram.close()
            await runner.cleanup()


def web_app(settings: Settings, telegram: Any) -> web.Application:
    from bot.web import build_app

    return build_app(
        telegram=telegram,
        telegram_secret=settings.telegram_webhook_secret,
        channels=channel_states(settings),
    )


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
