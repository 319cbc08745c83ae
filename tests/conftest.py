"""Shared fixtures: a migrated store on SQLite and, when LANGGAN_TEST_POSTGRES_URL is
set, on PostgreSQL too; the engine; a customer chatting with it on a fake clock. The
helpers they are built on live in ``tests/support/``."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.conversation.engine import Engine
from bot.telegram.aiogram_driver import AiogramDriver
from bot.telegram.ptb_driver import PtbDriver
from bot.whatsapp.channel import WhatsAppChannel
from crm_core.sales.catalog import CatalogCache
from crm_core.store import open_store
from message_templates import Texts
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.support.chat import Chat
from tests.support.data_key import DATA_KEY
from tests.support.sample_catalog import add_sample_catalog
from tests.support.sleeps import Sleeps
from tests.support.stores import NO_POSTGRES, POSTGRES_URL, admin, run_aside, truncate_all
from tests.support.whatsapp_channel import make_channel

# `langgan` run as a subprocess by a test reads the key from its environment.
os.environ["LANGGAN_DATA_KEY"] = DATA_KEY


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("store") / "template.db"

    async def build() -> None:
        async with open_store(f"sqlite://{path}", DATA_KEY):
            pass

    run_aside(build)
    return path


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


@pytest.fixture
def texts() -> Texts:
    return Texts()


@pytest.fixture
async def engine(store: str, texts: Texts) -> Engine:
    await add_sample_catalog()
    return Engine(texts, catalog=CatalogCache(check_every=0))


@pytest.fixture
def chat(engine: Engine) -> Chat:
    return Chat(engine, display_name="Budi", telegram_id=1001)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    yield fake
    await fake.stop()


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


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    fake = await FakeTwilio().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def channel(
    store: str, fake_twilio: FakeTwilio, sleeps: Sleeps
) -> AsyncIterator[WhatsAppChannel]:
    await add_sample_catalog()
    whatsapp = make_channel(fake_twilio, sleeps, Texts())
    yield whatsapp
    await whatsapp.close()
