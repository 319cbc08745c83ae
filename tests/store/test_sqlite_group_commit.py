"""On SQLite a turn's commit shares its sync to the disk with the turns committed at the
same moment, and the turn is answered only once that sync is done
(``crm_core.sqlite_client._LogSync``)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tortoise import Tortoise

from bot.conversation.engine import Engine
from crm_core import sqlite_client
from crm_core.errors import StoreNotSynced
from crm_core.models import Customer
from crm_core.sales.catalog import CatalogCache
from crm_core.store import open_store
from message_templates import Texts
from tests.support.chat import Chat
from tests.support.data_key import DATA_KEY
from tests.support.sample_catalog import add_sample_catalog


class _Disk:
    """The log's syncs, counted, each held until the test lets it through."""

    def __init__(self) -> None:
        self.syncs = 0
        self.started = threading.Event()
        self.free = threading.Event()

    def hold(self, real: object) -> object:
        def sync(log_sync: sqlite_client._LogSync) -> None:
            self.syncs += 1
            self.started.set()
            assert self.free.wait(10), "the test never let the sync through"
            real(log_sync)  # type: ignore[operator]

        return sync


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Disk]:
    held = _Disk()
    monkeypatch.setattr(sqlite_client._LogSync, "_sync", held.hold(sqlite_client._LogSync._sync))
    yield held
    held.free.set()  # never leave a thread waiting


async def _engine() -> Engine:
    await add_sample_catalog()
    return Engine(Texts(), catalog=CatalogCache(check_every=0))


def _messages_on_disk(telegram_id: int) -> int:
    """What another process reading the store's file sees: a customer's messages."""
    path = getattr(Tortoise.get_connection("sqlite"), "filename")  # noqa: B009 (SQLite's)
    other = sqlite3.connect(path)
    try:
        return int(
            other.execute(
                "SELECT COUNT(*) FROM message JOIN customer ON customer.id = message.customer_id"
                " WHERE customer.telegram_id = ?",
                (telegram_id,),
            ).fetchone()[0]
        )
    finally:
        other.close()


def _log_sync() -> sqlite_client._LogSync | None:
    client = Tortoise.get_connection("sqlite")
    assert isinstance(client, sqlite_client.LangganSqliteClient)
    return client.log_sync


def _synchronous() -> int:
    raw = Tortoise.get_connection("sqlite")._connection._conn
    return int(raw.execute("PRAGMA synchronous").fetchone()[0])


async def test_a_turn_is_answered_once_its_commit_is_synced_to_the_disk(
    sqlite_store: str, disk: _Disk
):
    engine = await _engine()
    turn = asyncio.create_task(Chat(engine, telegram_id=1001).send("halo"))
    assert await asyncio.to_thread(disk.started.wait, 10)
    # Committed (another reader sees the customer's message and the bot's reply), and
    # the event loop is free, yet the turn is not answered while the disk has not synced.
    assert _messages_on_disk(1001) >= 2
    await asyncio.sleep(0.05)
    assert not turn.done()
    disk.free.set()
    replies = await asyncio.wait_for(turn, 10)
    assert replies and "Selamat datang" in replies[0].text


async def test_turns_committed_while_a_sync_runs_share_the_next_one(sqlite_store: str, disk: _Disk):
    engine = await _engine()
    first = asyncio.create_task(Chat(engine, sender="2000", telegram_id=2000).send("halo"))
    assert await asyncio.to_thread(disk.started.wait, 10)
    # The first turn's sync is under way; five more customers write meanwhile.
    others = [
        asyncio.create_task(Chat(engine, sender=str(i), telegram_id=i).send("halo"))
        for i in range(2001, 2006)
    ]
    for _ in range(1000):  # each of them is committed...
        if all(_messages_on_disk(i) >= 2 for i in range(2001, 2006)):
            break
        await asyncio.sleep(0.01)
    assert all(_messages_on_disk(i) >= 2 for i in range(2001, 2006))
    assert not any(task.done() for task in [first, *others])  # ...and none answered yet
    disk.free.set()
    answered = await asyncio.wait_for(asyncio.gather(first, *others), 10)
    assert all(replies and "Selamat datang" in replies[0].text for replies in answered)
    # One sync for the first turn, one for the five that committed during it.
    assert disk.syncs == 2


async def test_everything_else_commits_with_the_store_s_own_sync(sqlite_store: str):
    engine = await _engine()
    assert _synchronous() == 2  # FULL, the store's default
    raw = Tortoise.get_connection("sqlite")._connection._conn
    levels: list[int] = []
    raw.set_trace_callback(
        lambda sql: (
            levels.append(1 if "synchronous=NORMAL" in sql else 2)
            if "PRAGMA synchronous" in sql
            else None
        )
    )
    try:
        await Chat(engine, telegram_id=1001).send("halo")
    finally:
        raw.set_trace_callback(None)
    assert levels == [1, 2]  # relaxed for the turn's commit alone, then FULL again
    assert _synchronous() == 2
    # A write outside a turn (a sweep's claim, the dispatcher's) syncs its own commit.
    await Customer.filter(telegram_id=1001).update(occupation="pedagang")
    assert _synchronous() == 2


async def test_a_store_that_does_not_sync_its_commits_has_nothing_to_share(tmp_path: Path):
    url = f"sqlite://{tmp_path / 'fast.db'}?synchronous=NORMAL"
    async with open_store(url, DATA_KEY):
        assert _log_sync() is None
        replies = await Chat(await _engine(), telegram_id=1001).send("halo")
        assert replies and "Selamat datang" in replies[0].text


@pytest.mark.parametrize(
    ("error", "named"),
    [(OSError(5, "Input/output error"), "OSError"), (RuntimeError("no thread"), "RuntimeError")],
)
async def test_a_sync_that_fails_is_not_taken_for_done(
    sqlite_store: str, monkeypatch: pytest.MonkeyPatch, error: Exception, named: str
):
    def broken(log_sync: sqlite_client._LogSync) -> None:
        raise error

    monkeypatch.setattr(sqlite_client._LogSync, "_sync", broken)
    log_sync = _log_sync()
    assert log_sync is not None
    with pytest.raises(StoreNotSynced) as failed:
        await asyncio.wait_for(log_sync.wait_for(log_sync.commit()), 10)
    assert f"could not write its last changes to the disk ({named})" in str(failed.value)
    assert log_sync.synced == 0
    # For good: a later sync could succeed over pages the kernel dropped after the error.
    monkeypatch.undo()
    with pytest.raises(StoreNotSynced):
        await asyncio.wait_for(log_sync.wait_for(log_sync.commit()), 10)


async def test_a_turn_whose_sync_fails_is_not_acknowledged(
    sqlite_store: str, monkeypatch: pytest.MonkeyPatch
):
    """The webhook answers 500 (Telegram sends it again), never the apology that says
    the message was kept, while the disk refuses to keep anything."""
    engine = await _engine()

    def broken(log_sync: sqlite_client._LogSync) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sqlite_client._LogSync, "_sync", broken)
    with pytest.raises(StoreNotSynced):
        await Chat(engine, telegram_id=1001).send("halo")


@pytest.mark.parametrize("linked", [False, True])
async def test_the_sync_is_of_the_log_sqlite_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linked: bool
):
    """Through a link to the database too: SQLite writes its log beside the file the
    link points to, and a sync of a log of the link's name would sync nothing."""
    real = tmp_path / "data" / "langgan.db"
    real.parent.mkdir()
    path = real
    if linked:
        path = tmp_path / "langgan.db"
        async with open_store(f"sqlite://{real}", DATA_KEY):
            pass
        path.symlink_to(real)
    synced: list[int] = []

    def sync_data(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)

    monkeypatch.setattr(sqlite_client, "_sync_data", sync_data)
    async with open_store(f"sqlite://{path}", DATA_KEY):
        replies = await Chat(await _engine(), telegram_id=1001).send("halo")
        assert replies and "Selamat datang" in replies[0].text
        assert synced and set(synced) == {os.stat(f"{real}-wal").st_ino}


async def test_commits_the_loop_has_ready_next_share_the_sync_with_the_first(
    sqlite_store: str, monkeypatch: pytest.MonkeyPatch
):
    """The webhooks read in the loop's next passes commit before the sync starts: one
    sync covers them all, where starting at once would have taken one more for them."""
    syncs: list[int] = []
    real = sqlite_client._LogSync._sync

    def counted(log_sync: sqlite_client._LogSync) -> None:
        syncs.append(log_sync.committed)
        real(log_sync)

    monkeypatch.setattr(sqlite_client._LogSync, "_sync", counted)
    log_sync = _log_sync()
    assert log_sync is not None

    async def commit_after(passes: int) -> None:
        for _ in range(passes):
            await asyncio.sleep(0)
        await log_sync.wait_for(log_sync.commit())

    await asyncio.gather(*(commit_after(passes) for passes in range(4)))
    assert syncs == [4]
    assert log_sync.synced == 4
