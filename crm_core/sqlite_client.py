"""Tortoise's SQLite client, one trip to SQLite's thread shorter per transaction.

aiosqlite runs each statement on a thread of its own, and each trip there and back
costs the event loop more than the statement itself. Tortoise begins a transaction
with a COMMIT and then a BEGIN, two trips, though it opens SQLite in autocommit mode,
where nothing is ever open before that BEGIN. Left out, the needless trip took about a
tenth off the engine's CPU a message (bench/inbound.py's conversation with replies held,
the least of 6 windows, alternated with Tortoise's own: 3.13 against 2.74 ms, and 3.50
against 3.17). Tortoise names this module as a store's engine (``crm_core.store``)."""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


class _Transaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            if self._connection.in_transaction:
                # Only a COMMIT that failed leaves one open: its writes are a turn that
                # did not finish, so they are undone, never committed with the next.
                await self._connection.rollback()
            await self._connection.execute("BEGIN")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class LangganSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(_Transaction(self), self._lock)


client_class = LangganSqliteClient
