"""The store's commits: durable on SQLite before they return, and a deadlock or a
serialization failure retried."""

from __future__ import annotations

from tortoise import Tortoise

from crm_core.store import is_transient, open_store
from tests.support.data_key import DATA_KEY


async def test_sqlite_commits_are_durable_and_readers_never_wait(tmp_path):
    """WAL, and a commit synced to the disk before it returns: what the webhook has
    acknowledged survives a power cut (README, "What a crash does")."""
    async with open_store(f"sqlite://{tmp_path / 'shop.db'}", DATA_KEY):
        connection = Tortoise.get_connection("sqlite")
        [[mode]] = (await connection.execute_query("PRAGMA journal_mode"))[1]
        [[synchronous]] = (await connection.execute_query("PRAGMA synchronous"))[1]
    assert (mode, synchronous) == ("wal", 2)  # 2 is FULL


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_deadlocks_and_serialization_failures_are_retried():
    assert is_transient(_Deadlock()) and not is_transient(ValueError("bug"))
