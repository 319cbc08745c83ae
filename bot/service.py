"""Wiring the running service once, at the top: store, engine, channels, web server."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiohttp import web

from bot import logs
from bot.conversation import Engine
from bot.dispatcher import Dispatcher
from bot.shop_jobs import add_order_jobs, release_due_reminders
from bot.understanding import load_lexicon
from bot.upkeep_jobs import add_upkeep
from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.sender import TwilioSender
from crm_core.outreach.contact_policy import Rules
from crm_core.settings import Settings
from crm_core.shop import ShopFile, load_shop_file
from crm_core.store import open_store, redact
from message_templates import TemplateProblem, Texts
from scheduler.campaigns import load_campaigns
from scheduler.sweep_job import add_sweep
from scheduler.ticker import Every, Ticker

log = logging.getLogger("langgan")


def contact_rules(settings: Settings) -> Rules:
    return Rules(settings.contact_cooldown, settings.weekly_cap, settings.quiet_hours, settings.tz)


def build_engine(settings: Settings) -> Engine:
    texts = Texts(settings.templates_dir, settings.timezone)
    problems = texts.check()
    shop = load_shop_file(Path(settings.shop_file))
    problems += check_shop_answers(texts, shop)
    if problems:
        raise TemplateProblem("texts_unusable", problems="; ".join(problems))
    return Engine(
        texts,
        default_language=settings.locale,
        rules=contact_rules(settings),
        lexicon=load_lexicon(settings.templates_dir),
        shop=shop,
    )


# What an answer may say about the customer reading it, for the start-up check.
SAMPLE_CUSTOMER = SimpleNamespace(
    id=1, name="Budi", display_name="Budi", city="Bandung", language="id", orders_count=1,
    total_spent=150_000,
)  # fmt: skip


def check_shop_answers(texts: Texts, shop: ShopFile) -> list[str]:
    """Each answer in the shop's file renders, found at start-up, not when a customer
    asks: a typo in ``{{ shop.nama }}`` is named with its topic."""
    problems = []
    for topic, answers in shop.answers.items():
        for lang, source in answers.items():
            problem = texts.check_source(
                source, shop=shop.facts, shipping=shop.shipping, customer=SAMPLE_CUSTOMER
            )
            if problem is not None:
                problems.append(f"{shop.path} [answers.{topic}] {lang}: {problem}")
    return problems


def build_telegram(settings: Settings, engine: Engine) -> Any:
    assert settings.telegram_bot_token
    if settings.telegram_driver == "ptb":
        from bot.telegram.ptb_driver import PtbDriver

        return PtbDriver(
            engine, settings.telegram_bot_token, settings.telegram_api_url,
            rate=settings.telegram_rate,
        )  # fmt: skip
    from bot.telegram.aiogram_driver import AiogramDriver

    return AiogramDriver(
        engine, settings.telegram_bot_token, settings.telegram_api_url,
        rate=settings.telegram_rate,
    )  # fmt: skip


def build_whatsapp(settings: Settings, engine: Engine) -> WhatsAppChannel:
    assert settings.twilio_account_sid and settings.twilio_auth_token
    assert settings.twilio_whatsapp_from and settings.public_url
    public_url = settings.public_url.rstrip("/")
    sender = TwilioSender(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_whatsapp_from,
        settings.twilio_api_url,
        rate=settings.whatsapp_rate,
        status_callback=f"{public_url}/webhooks/whatsapp/status",
    )
    return WhatsAppChannel(engine, sender, settings.twilio_auth_token, public_url)


def channel_states(settings: Settings) -> dict[str, dict[str, Any]]:
    telegram: dict[str, Any] = {"enabled": settings.telegram_enabled}
    if settings.telegram_enabled:
        telegram.update(driver=settings.telegram_driver, mode=settings.telegram_mode)
    whatsapp: dict[str, Any] = {"enabled": settings.whatsapp_enabled}
    if settings.whatsapp_enabled:
        whatsapp.update(sender=settings.twilio_whatsapp_from)
    return {"telegram": telegram, "whatsapp": whatsapp}


def wall_clock() -> datetime:
    return datetime.now(UTC)


async def run(
    settings: Settings,
    stop: asyncio.Event | None = None,
    clock: Callable[[], datetime] = wall_clock,
    ready: asyncio.Event | None = None,
) -> None:
    """``langgan run``: every configured channel, the web server and the timed jobs (one
    ticker on ``clock``), until stopped. ``ready`` is set once all of them have started."""
    logs.quiet()
    engine = build_engine(settings)
    # Replies are held in the outbox as they are decided, and sent from it: a reply the
    # process could not send before it stopped goes after the restart.
    engine.hold_replies = clock
    campaigns = load_campaigns(settings.campaigns_file, engine.texts)  # a bad file stops here
    stop = stop or _stop_on_signals()
    embedded = settings.db_url.startswith("sqlite")
    async with open_store(
        settings.db_url, settings.data_key, bring_up_to_date=embedded, require_current=True
    ):
        telegram = build_telegram(settings, engine) if settings.telegram_enabled else None
        whatsapp = build_whatsapp(settings, engine) if settings.whatsapp_enabled else None
        webhook = telegram is not None and settings.telegram_mode == "webhook"
        app = web_app(settings, telegram if webhook else None, whatsapp)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        senders = {"telegram": telegram, "whatsapp": whatsapp}
        dispatcher = Dispatcher(
            {k: v for k, v in senders.items() if v is not None},
            clock=clock,
            jobs=[functools.partial(release_due_reminders, engine.texts)],
            rules=engine.rules,
        )
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
            ticker = Ticker(clock)
            ticker.add("outbox dispatch", Every(timedelta(seconds=1)), dispatcher.run_once)
            add_sweep(ticker, campaigns, engine.rules, engine.texts)
            add_upkeep(ticker, settings)  # the daily backup, the message retention
            add_order_jobs(ticker, engine.texts, engine.shop, engine.rules)
            ticking = asyncio.create_task(ticker.run(stop))
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
            await runner.cleanup()  # no webhook comes in once the channels close
            if telegram is not None:
                await telegram.close()
            if whatsapp is not None:
                await whatsapp.close()


def settle_memory() -> None:
    """Once everything long-lived is loaded (libraries, templates, lexicon, ORM models),
    move it out of the collector's sight: each full collection re-walked all of it, a
    120-195 ms stall of the event loop every 15 s or so under load."""
    gc.collect()
    gc.freeze()


async def start_telegram(telegram: Any, settings: Settings) -> None:
    if settings.telegram_mode == "webhook":
        assert settings.public_url and settings.telegram_webhook_secret
        url = settings.public_url.rstrip("/") + "/webhooks/telegram"
        await telegram.set_webhook(url, settings.telegram_webhook_secret)
        log.info("telegram (%s) takes updates by webhook at %s", telegram.name, url)
    else:
        await telegram.start_polling()
        log.info("telegram (%s) is polling for updates", telegram.name)


def web_app(settings: Settings, telegram: Any, whatsapp: WhatsAppChannel | None) -> web.Application:
    from bot.web import build_app

    return build_app(
        telegram=telegram,
        telegram_secret=settings.telegram_webhook_secret,
        whatsapp=whatsapp,
        channels=channel_states(settings),
    )


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
