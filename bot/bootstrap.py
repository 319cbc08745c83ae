"""Langgan put together, once and the same way for ``langgan run``, ``langgan sweep``,
``langgan chat`` and the tests that run them: the engine (texts, shop file, lexicon,
contact rules), the campaigns, the channels and the timed jobs, on one clock.

The channels are made to send, so a command that only delivers the outbox (a sweep)
needs no engine behind them; ``langgan run`` also has them receive, through the engine.
Nothing here opens a connection: ``opened`` opens the store, and a channel's library
connects on its first request."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.conversation.engine import Engine
from bot.dispatcher import ChannelSender, Dispatcher
from bot.settings import Settings
from bot.shop_jobs import add_order_jobs, release_due_reminders
from bot.understanding import load_lexicon
from bot.upkeep_jobs import add_upkeep
from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.sender import TwilioSender
from crm_core.outreach.contact_policy import Rules
from crm_core.shop import ShopFile, load_shop_file
from crm_core.store import open_store
from message_templates import TemplateProblem, Texts
from scheduler.campaigns import Campaign, load_campaigns
from scheduler.sweep_job import add_sweep
from scheduler.ticker import Every, Ticker

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Langgan:
    """The parts of one process, built by ``assemble``."""

    settings: Settings
    engine: Engine
    campaigns: list[Campaign]
    clock: Clock = wall_clock
    _channels: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def texts(self) -> Texts:
        return self.engine.texts

    @property
    def rules(self) -> Rules:
        return self.engine.rules

    @property
    def channels(self) -> dict[str, Any]:
        """The configured channels by name (``telegram``, ``whatsapp``), made on first
        use: ``langgan chat`` never makes one."""
        if self._channels is None:
            self._channels = build_channels(self.settings)
        return self._channels

    @property
    def telegram(self) -> Any:
        return self.channels.get("telegram")

    @property
    def whatsapp(self) -> WhatsAppChannel | None:
        return self.channels.get("whatsapp")

    def receive(self) -> None:
        """The channels take messages too, through the engine; each reply is also held
        in the outbox as it is decided (on this clock), so a reply the process could not
        send before it stopped goes after the restart."""
        self.engine.hold_replies = self.clock
        for channel in self.channels.values():
            channel.receive_with(self.engine)

    def dispatcher(self, *, with_jobs: bool = True) -> Dispatcher:
        """The outbox's sender over these channels; ``with_jobs``: reminders come due
        on each of its ticks (the running service's)."""
        senders: dict[str, ChannelSender] = dict(self.channels)
        jobs = [functools.partial(release_due_reminders, self.texts)] if with_jobs else []
        return Dispatcher(senders, clock=self.clock, jobs=jobs, rules=self.rules)

    def ticker(self, dispatcher: Dispatcher) -> Ticker:
        """Every timed job on this clock: the outbox each second, the campaigns' sweep,
        the daily backup and message retention, and the order jobs."""
        ticker = Ticker(self.clock)
        ticker.add("outbox dispatch", Every(timedelta(seconds=1)), dispatcher.run_once)
        add_sweep(ticker, self.campaigns, self.rules, self.texts)
        add_upkeep(ticker, self.settings)
        add_order_jobs(ticker, self.texts, self.engine.shop, self.rules)
        return ticker

    async def close(self) -> None:
        for channel in (self._channels or {}).values():
            await channel.close()


def assemble(settings: Settings, clock: Clock = wall_clock) -> Langgan:
    """Everything but the store, checked: a template, a shop answer or a campaign that
    cannot work stops here, named, before any message is taken."""
    engine = build_engine(settings)
    campaigns = load_campaigns(settings.campaigns_file, engine.texts)
    return Langgan(settings, engine, campaigns, clock)


@contextlib.asynccontextmanager
async def opened(
    settings: Settings, clock: Clock = wall_clock, *, bring_up_to_date: bool
) -> AsyncIterator[Langgan]:
    """``assemble``d, with the store open (and brought up to date when asked); the
    channels are closed on the way out."""
    langgan = assemble(settings, clock)
    async with open_store(
        settings.db_url, settings.data_key, bring_up_to_date=bring_up_to_date,
        require_current=True,
    ):  # fmt: skip
        try:
            yield langgan
        finally:
            await langgan.close()


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


def build_channels(settings: Settings) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    if settings.telegram.enabled:
        channels["telegram"] = build_telegram(settings)
    if settings.whatsapp.enabled:
        channels["whatsapp"] = build_whatsapp(settings)
    return channels


def build_telegram(settings: Settings) -> Any:
    assert settings.telegram.token
    if settings.telegram.driver == "ptb":
        from bot.telegram.ptb_driver import PtbDriver

        return PtbDriver(
            settings.telegram.token, settings.telegram.api_url, rate=settings.telegram.rate
        )
    from bot.telegram.aiogram_driver import AiogramDriver

    return AiogramDriver(
        settings.telegram.token, settings.telegram.api_url, rate=settings.telegram.rate
    )


def build_whatsapp(settings: Settings) -> WhatsAppChannel:
    assert settings.whatsapp.account_sid and settings.whatsapp.auth_token
    assert settings.whatsapp.sender and settings.public_url
    public_url = settings.public_url.rstrip("/")
    sender = TwilioSender(
        settings.whatsapp.account_sid,
        settings.whatsapp.auth_token,
        settings.whatsapp.sender,
        settings.whatsapp.api_url,
        rate=settings.whatsapp.rate,
        status_callback=f"{public_url}/webhooks/whatsapp/status",
    )
    return WhatsAppChannel(sender, settings.whatsapp.auth_token, public_url)
