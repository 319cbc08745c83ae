"""Shared fixtures: a migrated store on SQLite and, when LANGGAN_TEST_POSTGRES_URL is
set, on PostgreSQL too; the engine; a customer chatting with it on a fake clock."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from tortoise import Tortoise

from bot.conversation import Engine
from bot.inbound import Inbound, Reply
from bot.telegram.aiogram_driver import AiogramDriver
from bot.telegram.ptb_driver import PtbDriver
from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.sender import TwilioSender
from crm_core.models import Product
from crm_core.sales.catalog import CatalogCache
from crm_core.store import open_store
from message_templates import Texts
from tests.data_key import DATA_KEY
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio

POSTGRES_URL = os.environ.get("LANGGAN_TEST_POSTGRES_URL")
# `langgan` run as a subprocess by a test reads the key from its environment.
os.environ["LANGGAN_DATA_KEY"] = DATA_KEY
NO_POSTGRES = "LANGGAN_TEST_POSTGRES_URL is not set: the PostgreSQL store tests are skipped"
START = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta, a Monday


def run_aside(coroutine_function, *args):  # type: ignore[no-untyped-def]
    """Run a coroutine to completion on its own loop in a thread: session fixtures are
    first requested from inside a test's running loop, where asyncio.run is refused."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine_function(*args)).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("store") / "template.db"

    async def build() -> None:
        async with open_store(f"sqlite://{path}", DATA_KEY):
            pass

    run_aside(build)
    return path


async def admin(sql: str) -> None:
    """One statement on the server's own database: create or drop a test database."""
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this test session, migrated once, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    name = f"langgan_test_{uuid.uuid4().hex[:10]}"
    base, _, _ = POSTGRES_URL.rpartition("/")
    url = f"{base}/{name}"

    async def migrate() -> None:
        async with open_store(url, DATA_KEY):
            pass

    run_aside(admin, f'CREATE DATABASE "{name}"')
    try:
        run_aside(migrate)
        yield url
    finally:
        run_aside(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def truncate_all() -> None:
    conn = Tortoise.get_connection("postgres")
    # The store's own secrets stay: every process that opens it must hash look-ups alike.
    tables = ", ".join(
        f'"{model._meta.db_table}"'
        for model in Tortoise.apps["langgan"].values()
        if model._meta.db_table != "store_secret"
    )
    await conn.execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The same test on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "langgan.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        async with open_store(f"sqlite://{path}", DATA_KEY, bring_up_to_date=False):
            yield "sqlite"
    else:
        url = request.getfixturevalue("postgres_url")
        async with open_store(url, DATA_KEY, bring_up_to_date=False):
            await truncate_all()
            yield "postgres"


@pytest.fixture
async def postgres_store(postgres_url: str) -> AsyncIterator[str]:
    """PostgreSQL alone, for what only a server with many connections can show."""
    async with open_store(postgres_url, DATA_KEY, bring_up_to_date=False):
        await truncate_all()
        yield postgres_url


@pytest.fixture
async def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    path = tmp_path / "langgan.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    async with open_store(f"sqlite://{path}", DATA_KEY, bring_up_to_date=False):
        yield "sqlite"


async def add_sample_catalog() -> None:
    if await Product.exists():
        return
    for name, price, colours, sizes in (
        ("Kaos Polos", 75_000, ["Hitam", "Putih", "Navy"], ["S", "M", "L", "XL"]),
        ("Kemeja Batik", 150_000, ["Coklat", "Biru"], ["M", "L", "XL"]),
        ("Hijab Voal", 45_000, ["Mocca", "Hitam"], []),
        ("Tote Bag Kanvas", 35_000, [], []),
    ):
        await Product.create(name=name, price=price, colours=colours, sizes=sizes, updated_at=START)


@pytest.fixture
def texts() -> Texts:
    return Texts()


@pytest.fixture
async def engine(store: str, texts: Texts) -> Engine:
    await add_sample_catalog()
    return Engine(texts, catalog=CatalogCache(check_every=0))


class Chat:
    """One person typing to the engine on one channel, one second apart."""

    _ids = itertools.count(1)

    def __init__(
        self, engine: Engine, channel: str = "telegram", sender: str = "1001", **who: object
    ):
        self.engine = engine
        self.channel = channel
        self.sender = sender
        self.who = who
        self.now = START
        self.replies: list[Reply] = []

    async def send(self, text: str = "", **extra: object) -> list[Reply]:
        self.now += timedelta(seconds=1)
        fields = {**self.who, **extra}
        external_id = str(fields.pop("external_id", f"u{next(self._ids)}"))
        inbound = Inbound(
            channel=self.channel,
            sender=self.sender,
            text=text,
            external_id=external_id,
            received_at=self.now,
            **fields,  # type: ignore[arg-type]
        )
        self.replies = await self.engine.handle(inbound)
        return self.replies

    @property
    def text(self) -> str:
        """Everything the customer just received, as one string."""
        return "\n".join(r.text for r in self.replies)

    @property
    def choices(self) -> tuple[str, ...]:
        return self.replies[-1].choices if self.replies else ()

    async def onboard(
        self, *, consent: str = "ya", name: str = "Budi Santoso", city: str = "Bandung"
    ) -> None:
        await self.send("halo")
        await self.send(consent)
        await self.send(name)
        await self.send(city)
        if consent == "ya":
            await self.send("lewati")  # how did you find us?

    async def to_confirmation(
        self,
        order: str,
        address: str = "Jl. Merdeka No. 10, Sumur Bandung",
        phone: str = "081234567890",
    ) -> None:
        """From the menu of an onboarded customer with no address or phone yet, to the
        order's confirmation question."""
        await self.send(order)
        await self.send(address)
        await self.send(phone)


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine, display_name="Budi", telegram_id=1001)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


class Sleeps(list[float]):
    """A stand-in for asyncio.sleep, and the clock it moves: each wait asked for is
    remembered and passes at once, moving ``clock`` on by as much. Senders keep their
    pace on it (their rate limits read ``clock``), and no test waits for them."""

    now = 1_000.0

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(params=["aiogram", "ptb"])
async def driver(
    request: pytest.FixtureRequest, store: str, fake_telegram: FakeTelegram, sleeps: Sleeps
) -> AsyncIterator[Any]:
    await add_sample_catalog()
    engine = Engine(Texts(), catalog=CatalogCache(check_every=0))
    cls = AiogramDriver if request.param == "aiogram" else PtbDriver
    drv = cls(TOKEN, fake_telegram.url, sleep=sleeps, clock=sleeps.clock).receive_with(engine)
    yield drv
    await drv.close()


PUBLIC_URL = "https://toko.example"


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    fake = await FakeTwilio().start()
    yield fake
    await fake.stop()


def make_channel(
    fake: FakeTwilio, sleeps: Sleeps, texts: Texts, rate: float = 1000
) -> WhatsAppChannel:
    engine = Engine(texts, catalog=CatalogCache(check_every=0))
    sender = TwilioSender(
        ACCOUNT_SID, AUTH_TOKEN, SENDER, fake.url, rate=rate, sleep=sleeps, clock=sleeps.clock,
        status_callback=f"{PUBLIC_URL}/webhooks/whatsapp/status",
    )  # fmt: skip
    return WhatsAppChannel(sender, AUTH_TOKEN, PUBLIC_URL).receive_with(engine)


@pytest.fixture
async def channel(
    store: str, fake_twilio: FakeTwilio, sleeps: Sleeps
) -> AsyncIterator[WhatsAppChannel]:
    await add_sample_catalog()
    whatsapp = make_channel(fake_twilio, sleeps, Texts())
    yield whatsapp
    await whatsapp.close()
