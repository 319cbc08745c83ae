"""Tortoise's SQLite client, with a message's statements run where they are called.

aiosqlite runs each statement on a thread of its own. Each trip there and back costs the
event loop more than the statement itself, and, worse, a transaction is one at a time
on SQLite (Tortoise holds a lock for it): while a turn's transaction waited for its
thread, the loop went on to other webhooks and sends, and the next transaction waited
for all of that. Under load a turn held the lock about 7 ms, for some 3 ms of its own
work, and the lock's queue was the whole of a message's latency.

So the statements of a short transaction (``short_statements``: a message's turn, a
batch of send results) run at once on the caller's thread, the event loop's, and the
transaction never lets the loop go until it commits. Everything else (reports, imports,
backups, migrations) still runs on aiosqlite's thread, so a long query never stalls the
loop. The two never overlap: Tortoise's lock lets one statement or transaction use the
connection at a time, which is what makes sharing it across the two threads safe.

Another process writing (``langgan sweep``, a second instance) is waited for on the
thread, never on the loop: the connection's busy timeout is 0 for statements run here,
and one that finds the database locked is run again on the thread, where it waits up to
the store's ``busy_timeout`` (5 s unless the store's URL sets it).

Tortoise begins a transaction with a COMMIT and then a BEGIN, though it opens SQLite in
autocommit mode, where nothing is open before that BEGIN; here it is one BEGIN
IMMEDIATE (see ``_Transaction.begin``).
Tortoise names this module as a store's engine (``crm_core.store``)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import partial
from typing import Any

import aiosqlite
from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError

_SHORT: ContextVar[bool] = ContextVar("langgan_short_statements", default=False)
PATIENCE_MS = 5_000  # Python's own default wait for another process's write lock


@contextlib.contextmanager
def short_statements(short: bool = True) -> Iterator[None]:
    """The statements run in this block are few and short (a turn's, a batch of send
    results): on SQLite they run on the event loop's thread, without a trip to
    aiosqlite's. Never for a query that may scan a large table: the loop waits for it.
    ``short_statements(False)`` inside one: these may be long, back to the thread."""
    token = _SHORT.set(short)
    try:
        yield
    finally:
        _SHORT.reset(token)


def _locked(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection, with ``short_statements`` run on the caller's thread.
    aiosqlite sends every call on the sqlite3 connection through ``_execute``."""

    patience_ms = PATIENCE_MS

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if _SHORT.get() and self._connection is not None:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not _locked(exc):
                    raise
                # Another process writes: the statement did nothing; wait on the thread.
        return await super()._execute(self._patiently, partial(fn, *args, **kwargs))

    def _patiently(self, call: Callable[[], Any]) -> Any:
        """On aiosqlite's thread: wait for another process's lock as the store allows."""
        connection = self._conn
        connection.execute(f"PRAGMA busy_timeout={int(self.patience_ms)}")
        try:
            return call()
        finally:
            with contextlib.suppress(sqlite3.ProgrammingError):  # the call closed it
                connection.execute("PRAGMA busy_timeout=0")


class _Transaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            if self._connection.in_transaction:
                # Only a COMMIT that failed leaves one open: its writes are a turn that
                # did not finish, so they are undone, never committed with the next.
                await self._connection.rollback()
            # IMMEDIATE: the write lock is taken first, waited for if another process
            # holds it. A transaction begun DEFERRED that had read and then wrote while
            # another process held the lock failed at once, whatever the busy timeout
            # (SQLite cannot let it wait without risking a deadlock): a customer who
            # wrote while `langgan sweep` was writing got the apology.
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class LangganSqliteClient(SqliteClient):
    async def create_connection(self, with_db: bool) -> None:
        if self._connection is not None:
            return
        path = self.filename

        def connect() -> sqlite3.Connection:
            # Used from two threads, never at once (see the module's docstring).
            return sqlite3.connect(path, isolation_level=None, check_same_thread=False)

        connection = _Connection(connect, iter_chunk_size=64)
        connection.patience_ms = int(self.pragmas.get("busy_timeout", PATIENCE_MS))
        self._connection = await connection
        self._connection._conn.row_factory = sqlite3.Row
        for pragma, value in self.pragmas.items():
            cursor = await self._connection.execute(f"PRAGMA {pragma}={value}")
            await cursor.close()
        await self._post_connect()

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(_Transaction(self), self._lock)


client_class = LangganSqliteClient
