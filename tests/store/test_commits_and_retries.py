"""The store's commits: durable on SQLite before anyone is told of them (a turn's shares
its sync, see test_sqlite_group_commit.py), never half a turn, and a deadlock or a
serialization failure retried."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from crm_core.models import Customer
from crm_core.store import is_transient, open_store
from tests.support.chat import START
from tests.support.data_key import DATA_KEY


async def test_sqlite_commits_are_durable_and_readers_never_wait(tmp_path):
    """WAL, and commits synced to the disk (FULL; a turn's before its webhook is
    answered): what the webhook has acknowledged survives a power cut (README, "What a
    crash does")."""
    async with open_store(f"sqlite://{tmp_path / 'shop.db'}", DATA_KEY):
        connection = Tortoise.get_connection("sqlite")
        [[mode]] = (await connection.execute_query("PRAGMA journal_mode"))[1]
        [[synchronous]] = (await connection.execute_query("PRAGMA synchronous"))[1]
    assert (mode, synchronous) == ("wal", 2)  # 2 is FULL


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_deadlocks_and_serialization_failures_are_retried():
    assert is_transient(_Deadlock()) and not is_transient(ValueError("bug"))


async def test_a_transaction_whose_commit_failed_is_undone_not_committed_with_the_next(
    sqlite_store: str,
):
    """SQLite's transactions begin in one trip (``crm_core.sqlite_client``). A COMMIT
    that failed (the disk full, say) leaves its transaction open: the next turn's BEGIN
    must undo it, never commit half a turn along with its own."""
    connection = Tortoise.get_connection("sqlite")
    raw = connection._connection  # aiosqlite's, as a COMMIT that raised leaves it
    await raw.execute("BEGIN")
    await Customer.create(name="Setengah", created_at=START, updated_at=START)
    assert raw.in_transaction
    async with in_transaction():
        await Customer.create(name="Utuh", created_at=START, updated_at=START)
    assert [c.name for c in await Customer.all()] == ["Utuh"]
    assert not raw.in_transaction
