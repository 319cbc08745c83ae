"""On SQLite a turn's statements run on the event loop's own thread, everything else on
aiosqlite's, and another process's write lock is waited for off the loop
(``crm_core.sqlite_client``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError, TransactionManagementError
from tortoise.transactions import in_transaction

from bot.conversation.engine import Engine
from crm_core.models import Customer, Message
from crm_core.sales.catalog import CatalogCache
from crm_core.store import open_store, short_statements
from message_templates import Texts
from tests.support.chat import START, Chat
from tests.support.data_key import DATA_KEY
from tests.support.people import agent, customer
from tests.support.sample_catalog import add_sample_catalog


async def _engine() -> Engine:
    await add_sample_catalog()
    return Engine(Texts(), catalog=CatalogCache(check_every=0))


@contextlib.contextmanager
def _threads_of_statements(seen: list[tuple[str, int]]) -> Iterator[None]:
    """Each statement SQLite runs, with the thread it ran on."""
    raw = Tortoise.get_connection("sqlite")._connection._conn

    def trace(sql: str) -> None:
        seen.append((sql, threading.get_ident()))

    raw.set_trace_callback(trace)
    try:
        yield
    finally:
        raw.set_trace_callback(None)


def _other_process() -> sqlite3.Connection:
    """A second connection to the store's file, as `langgan sweep` would open."""
    path = getattr(Tortoise.get_connection("sqlite"), "filename")  # noqa: B009 (SQLite's)
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False)


async def test_a_turn_runs_on_the_loop_and_a_long_read_on_sqlite_s_thread(sqlite_store: str):
    engine = await _engine()
    loop_thread = threading.get_ident()
    seen: list[tuple[str, int]] = []
    with _threads_of_statements(seen):
        replies = await Chat(engine, display_name="Budi", telegram_id=1001).send("halo")
    assert replies
    # The catalog's check for changes comes before the turn (it reads no chat).
    statements = [sql for sql, _ in seen]
    begin, commit = statements.index("BEGIN IMMEDIATE"), statements.index("COMMIT")
    turn = seen[begin : commit + 1]
    assert any(sql.startswith('INSERT INTO "message"') for sql, _ in turn)
    assert {thread for _, thread in turn} == {loop_thread}

    seen.clear()
    with _threads_of_statements(seen):
        assert await Customer.all().count() == 1
    assert seen and all(thread != loop_thread for _, thread in seen)


async def test_an_agent_s_search_runs_on_sqlite_s_thread(sqlite_store: str):
    """An agent's command may scan the whole customer table (/cari): its statements go
    to aiosqlite's thread, so the loop serves customers meanwhile; the turn around it
    (begin, the log, commit) stays on the loop's."""
    engine = await _engine()
    await customer(engine, "1001", "Budi Santoso")
    ani = await agent(engine)
    loop_thread = threading.get_ident()
    seen: list[tuple[str, int]] = []
    with _threads_of_statements(seen):
        await ani.send("/cari budi")
    assert "Budi Santoso" in ani.text
    searched = [thread for sql, thread in seen if sql.startswith("SELECT") and '"customer"' in sql]
    assert searched and loop_thread not in searched
    assert {thread for sql, thread in seen if sql in ("BEGIN IMMEDIATE", "COMMIT")} == {loop_thread}


async def _loop_keeps_serving(waiting: asyncio.Task[object]) -> int:
    """Ticks of another coroutine while ``waiting`` is held up (the loop is free)."""
    ticks = 0
    while ticks < 10:
        await asyncio.sleep(0.01)
        assert not waiting.done(), "the turn went ahead while another process held the lock"
        ticks += 1
    return ticks


async def test_another_process_s_write_lock_is_waited_for_off_the_loop(sqlite_store: str):
    """A sweep holding the write lock: the turn waits for it on SQLite's thread, the
    loop serves others meanwhile, and the customer is answered once the lock is free."""
    engine = await _engine()
    expected = await Chat(engine, sender="2002", telegram_id=2002).send("halo")
    with contextlib.closing(_other_process()) as other:  # closing it frees the lock
        other.execute("BEGIN IMMEDIATE")
        turn = asyncio.create_task(Chat(engine, sender="1001", telegram_id=1001).send("halo"))
        assert await _loop_keeps_serving(turn) == 10
        other.execute("COMMIT")
    replies = await turn
    assert [r.text for r in replies] == [r.text for r in expected]
    assert await Message.filter(direction="in").count() == 2


async def test_a_turn_waits_for_what_another_process_writes_and_reads_it(sqlite_store: str):
    """The other process writes and commits while the turn waits: the turn begins after
    it, reads what it wrote, and is answered once. (A turn that read first and then met
    the lock failed at once, whatever the busy timeout, and the customer was sent the
    apology.)"""
    engine = await _engine()
    expected = await Chat(engine, sender="2002", telegram_id=2002).send("halo")
    with contextlib.closing(_other_process()) as other:  # closing it frees the lock
        other.execute("BEGIN IMMEDIATE")
        turn = asyncio.create_task(Chat(engine, sender="1001", telegram_id=1001).send("halo"))
        await _loop_keeps_serving(turn)
        other.execute("UPDATE customer SET name = 'Sari'")  # the first customer's
        other.execute("COMMIT")
    replies = await turn
    assert [r.text for r in replies] == [r.text for r in expected]
    assert await Message.filter(direction="in").count() == 2
    assert sorted(str(c.name) for c in await Customer.all()) == ["None", "Sari"]


async def test_the_store_s_busy_timeout_is_how_long_a_write_waits_off_the_loop(tmp_path):
    """``?busy_timeout=`` in the URL sets how long a statement waits for another
    process's lock on SQLite's thread; on the loop's thread nothing ever waits."""
    async with open_store(f"sqlite://{tmp_path / 'shop.db'}?busy_timeout=1234", DATA_KEY):
        connection = Tortoise.get_connection("sqlite")
        [[patience]] = (await connection.execute_query("PRAGMA busy_timeout"))[1]
        with short_statements():
            [[on_the_loop]] = (await connection.execute_query("PRAGMA busy_timeout"))[1]
    assert (patience, on_the_loop) == (1234, 0)


async def test_a_transaction_that_cannot_begin_lets_the_store_go(tmp_path: Path):
    """Another process kept the store past the busy timeout: that transaction fails, and
    the service's next statements run (Tortoise kept its lock, and they waited for ever)."""
    async with open_store(f"sqlite://{tmp_path / 'langgan.db'}?busy_timeout=200", DATA_KEY):
        other = _other_process()
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(TransactionManagementError):
                async with in_transaction():
                    await Customer.all().count()
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert await asyncio.wait_for(Customer.all().count(), 5) == 0
        # And a customer is answered, in a transaction of their own.
        replies = await asyncio.wait_for(
            Chat(await _engine(), display_name="Budi", telegram_id=1001).send("halo"), 5
        )
        assert replies and "Selamat datang" in replies[0].text


async def _what_a_transaction_sees(short: bool) -> list[object]:
    """The same statements through Tortoise in a transaction, short or not: what each
    gave back, and the error a duplicate key raised."""
    seen: list[object] = []
    with short_statements(short):
        async with in_transaction() as db:
            insert = "INSERT INTO probe (body, n) VALUES (?, ?)"
            first = await db.execute_insert(insert, ["a", 1])
            seen.append(await db.execute_insert(insert, ["b", 2]) - first)
            seen.append(await db.execute_query("UPDATE probe SET n = n + 1"))
            count, rows = await db.execute_query("SELECT body, n FROM probe ORDER BY id")
            seen.append((count, [tuple(row) for row in rows]))
            seen.append(await db.execute_query_dict("SELECT n FROM probe WHERE n > ?", [2]))
            budi = await Customer.create(name="Budi", created_at=START, updated_at=START)
            seen.append((await Customer.get(id=budi.id)).name)
            with pytest.raises(IntegrityError):
                await db.execute_insert("INSERT INTO probe (id, body) VALUES (?, ?)", [first, "c"])
    return seen


async def test_a_short_transaction_s_statements_give_what_tortoise_s_give(
    sqlite_store: str, caplog: pytest.LogCaptureFixture
):
    """A short transaction's statements go straight to sqlite3, around Tortoise's way
    there: the ids, counts, rows and errors are the same, and each is logged as before."""
    connection = Tortoise.get_connection("sqlite")
    await connection.execute_script("CREATE TABLE probe (id INTEGER PRIMARY KEY, body, n)")
    caplog.set_level(logging.DEBUG, logger="tortoise.db_client")
    through_tortoise = await _what_a_transaction_sees(short=False)
    logged = [r.getMessage() for r in caplog.records if "probe" in r.getMessage()]
    await connection.execute_script("DELETE FROM probe; DELETE FROM customer")
    caplog.clear()
    direct = await _what_a_transaction_sees(short=True)
    expected = [1, (2, []), (2, [("a", 2), ("b", 3)]), [{"n": 3}], "Budi"]
    assert direct == through_tortoise == expected
    assert (
        logged and [r.getMessage() for r in caplog.records if "probe" in r.getMessage()] == logged
    )
