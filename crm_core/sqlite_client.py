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

A short transaction's commit shares its sync to the disk with the others of its moment
(group commit, ``_LogSync``): it commits without one of its own, and ``durable()``, which
its caller awaits before telling anyone (the webhook's answer, the replies' send), waits
for one sync of the write-ahead log, on a thread, that covers every commit before it:
the commits made while one sync runs share the next. The event loop no longer waits for
the disk inside COMMIT (under load that was about a twelfth of its time; the README has
the figures).
Tortoise names this module as a store's engine (``crm_core.store``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from functools import partial
from typing import Any

import aiosqlite
from tortoise.backends.base.client import TransactionalDBClient, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

from crm_core.errors import StoreNotSynced

_SHORT: ContextVar[bool] = ContextVar("langgan_short_statements", default=False)
PATIENCE_MS = 5_000  # Python's own default wait for another process's write lock
# The task's last commit made without a sync of its own, until ``durable()`` saw it synced.
_UNSYNCED: ContextVar[tuple[_LogSync, int] | None] = ContextVar("langgan_unsynced", default=None)
_SYNCED_EACH_COMMIT = {"full", "extra", "2", "3"}  # synchronous levels that sync a WAL commit
# Passes of the event loop a sync waits for turns that commit meanwhile: with none, one
# sync for every two messages of bench/inbound.py's conversation, 16 customers at once;
# with 4, one for every four.
GATHER = 4
_sync_data = getattr(os, "fdatasync", os.fsync)  # as SQLite syncs: the data, not the times


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


async def durable() -> None:
    """Until this task's commits are on the disk. A short transaction on SQLite commits
    without its own sync (see ``_LogSync``); anything that tells the world about it
    (answers a webhook, sends a reply) awaits this first. At once elsewhere: PostgreSQL's
    commit, and every other SQLite transaction's, is synced before it returns."""
    unsynced = _UNSYNCED.get()
    if unsynced is None:
        return
    log_sync, commit = unsynced
    await log_sync.wait_for(commit)
    _UNSYNCED.set(None)


class _LogSync:
    """Group commit for an SQLite store in WAL mode whose commits are synced (``FULL``).

    A short transaction commits with ``synchronous=NORMAL``: SQLite writes its pages to
    the write-ahead log and returns without waiting for the disk. Its caller then waits,
    in ``wait_for``, for an ``fdatasync`` of the log that began after the commit; one
    runs at a time, on a thread, and covers every commit before it. That is the sync
    ``FULL`` makes at each commit, made once for all the commits of its moment: what
    ``durable()`` has returned for survives a power cut as with ``FULL``. (A checkpoint
    syncs the log before copying it into the database, and the database after; SQLite
    syncs a new log's header and its folder even at NORMAL; the log is removed only
    when the last connection closes.)

    A sync that fails fails every later wait too: after a write error the kernel may
    drop the failed pages, a later sync would succeed over the hole, and the commits it
    covered would be lost with the power all the same."""

    def __init__(self, log: str) -> None:
        self.log = log  # the file SQLite writes, its name resolved as SQLite resolves it
        self.committed = 0  # short commits made, in order
        self.synced = 0  # the last of them known to be on the disk
        self.failed: StoreNotSynced | None = None
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._syncing: asyncio.Task[None] | None = None

    def commit(self) -> int:
        self.committed += 1
        return self.committed

    async def wait_for(self, commit: int) -> None:
        if self.synced >= commit:
            return
        if self.failed is not None:  # a new error each time: one raised again keeps
            # every waiter's traceback
            raise StoreNotSynced("store_not_synced", error=self.failed.values["error"])
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((commit, future))
        if self._syncing is None:
            self._syncing = asyncio.create_task(self._sync_all())
        await future

    async def _sync_all(self) -> None:
        try:
            while self._waiting:
                await self._gather()
                covered = self.committed  # every commit so far is in the log's file
                try:
                    await asyncio.to_thread(self._sync)
                except Exception as exc:  # the disk's error, or no thread to run it on
                    self.failed = StoreNotSynced("store_not_synced", error=type(exc).__name__)
                    self._settle(self.committed, self.failed)
                    return
                else:
                    self.synced = max(self.synced, covered)
                    self._settle(covered, None)
        finally:
            self._syncing = None
            # Cancelled as the loop shuts down: nobody is left waiting for ever.
            self._settle(self.committed, StoreNotSynced("store_not_synced", error="stopped"))

    def _settle(self, covered: int, failure: StoreNotSynced | None) -> None:
        """Tell the waiters for the commits up to ``covered`` how their sync went."""
        done = [w for w in self._waiting if w[0] <= covered]
        self._waiting = [w for w in self._waiting if w[0] > covered]
        for _, future in done:
            if future.done():  # its waiter was cancelled
                continue
            if failure is None:
                future.set_result(None)
            else:
                future.set_exception(failure)

    async def _gather(self) -> None:
        """Let the turns the event loop has ready commit first, so that one sync covers
        them too: a pass of the loop at a time, while a pass brings a commit, up to
        ``GATHER`` passes. When nothing else is ready it costs one pass, no waiting.
        (A turn runs from BEGIN to COMMIT without letting the loop go.)"""
        for _ in range(GATHER):
            before = self.committed
            await asyncio.sleep(0)
            if self.committed == before:
                return

    def _sync(self) -> None:
        """On a thread: the log's file to the disk. It exists while this connection is
        open; if it cannot be opened, that is a failure, never taken for done."""
        log = os.open(self.log, os.O_RDWR)  # (Windows syncs only what it may write)
        try:
            _sync_data(log)
        finally:
            os.close(log)


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
    _parent: LangganSqliteClient
    _grouped: _LogSync | None = None  # this transaction's commit shares a sync

    async def begin(self) -> None:
        log_sync = self._parent.log_sync if _SHORT.get() else None
        try:
            if self._connection.in_transaction:
                # Only a COMMIT that failed leaves one open: its writes are a turn that
                # did not finish, so they are undone, never committed with the next.
                await self._connection.rollback()
            self._relax(log_sync is not None)
            # IMMEDIATE: the write lock is taken first, waited for if another process
            # holds it. A transaction begun DEFERRED that had read and then wrote while
            # another process held the lock failed at once, whatever the busy timeout
            # (SQLite cannot let it wait without risking a deadlock): a customer who
            # wrote while `langgan sweep` was writing got the apology.
            await self._connection.execute("BEGIN IMMEDIATE")
        except BaseException as exc:  # cancelled while waiting, too: never left relaxed
            self._relax(False)
            if isinstance(exc, sqlite3.OperationalError):
                raise TransactionManagementError(exc) from exc
            raise
        self._grouped = log_sync

    async def commit(self) -> None:
        try:
            await super().commit()
        finally:
            self._relax(False)
        if self._grouped is not None:
            _UNSYNCED.set((self._grouped, self._grouped.commit()))

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self._relax(False)

    # A short transaction's statements go straight to sqlite3's connection. Tortoise's
    # way there (its wrapper's lock, aiosqlite's coroutine, and for an INSERT a second
    # statement to read the new row's id) cost about three times the statement itself:
    # 4.2 µs an INSERT against 0.9 µs, a turn making a dozen of them. What is logged, the
    # errors raised and the figures returned are Tortoise's. One that finds the database
    # locked (it cannot, inside BEGIN IMMEDIATE, but it would wait) takes Tortoise's way.

    @translate_exceptions
    async def execute_insert(self, query: str, values: list[Any]) -> int:
        cursor = self._short(query, values)
        if cursor is None:
            return await super().execute_insert(query, values)
        return int(cursor.lastrowid or 0)

    @translate_exceptions
    async def execute_query(
        self, query: str, values: list[Any] | None = None
    ) -> tuple[int, Sequence[dict[str, Any]]]:
        if not _SHORT.get():
            return await super().execute_query(query, values)
        query = query.replace("\x00", "'||CHAR(0)||'")  # as Tortoise does
        connection = self._connection._conn
        start = connection.total_changes
        cursor = self._short(query, values)
        if cursor is None:
            return await super().execute_query(query, values)
        rows = cursor.fetchall()
        return (connection.total_changes - start) or len(rows), rows

    @translate_exceptions
    async def execute_query_dict(
        self, query: str, values: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        query = query.replace("\x00", "'||CHAR(0)||'")
        cursor = self._short(query, values)
        if cursor is None:
            return await super().execute_query_dict(query, values)
        return list(map(dict, cursor.fetchall()))

    def _short(self, query: str, values: list[Any] | None) -> sqlite3.Cursor | None:
        """The statement run here and now, in a short transaction; ``None``: not here."""
        if not _SHORT.get() or self._lock.locked():
            # (Locked: another task of this transaction has a statement on aiosqlite's
            # thread; Tortoise's way waits for it, and the connection is never shared.)
            return None
        self.log.debug("%s: %s", query, values)
        try:
            return self._connection._conn.execute(query, values or [])
        except sqlite3.OperationalError as exc:
            if _locked(exc):  # it did nothing: Tortoise's way waits for the other process
                return None
            raise

    def _relax(self, relaxed: bool) -> None:
        """``synchronous=NORMAL`` for a transaction whose commit shares a sync, and the
        store's own level for every other transaction and statement. Set between
        transactions (SQLite refuses inside one; ``begin`` sets it after a failed
        COMMIT's rollback), on the caller's thread: Tortoise's lock is held."""
        parent = self._parent
        if parent.relaxed == relaxed or self._connection.in_transaction:
            return
        level = "NORMAL" if relaxed else parent.synchronous
        self._connection._conn.execute(f"PRAGMA synchronous={level}")
        parent.relaxed = relaxed


class LangganSqliteClient(SqliteClient):
    log_sync: _LogSync | None = None  # when commits are synced: short ones share a sync
    relaxed = False  # the connection is at synchronous=NORMAL, for a short transaction

    @property
    def synchronous(self) -> str:
        return str(self.pragmas.get("synchronous", "FULL"))

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
        self.log_sync = None
        if self.synchronous.lower() in _SYNCED_EACH_COMMIT:
            # What SQLite really runs, and the file it really writes: the mode asked for
            # may not take (a memory database), and a database reached through a link
            # has its log beside the file the link points to.
            journal = self._connection._conn.execute("PRAGMA journal_mode").fetchone()[0]
            database = self._connection._conn.execute("PRAGMA database_list").fetchone()[2]
            if str(journal).lower() == "wal" and database:
                self.log_sync = _LogSync(database + "-wal")
        await self._post_connect()

    def _in_transaction(self) -> TransactionContext:
        return _TransactionContext(_Transaction(self), self._lock)


class _TransactionContext(SqliteTransactionContext):
    """Tortoise's, with its lock let go when the transaction cannot begin (another
    process kept the store busy past the busy timeout): Tortoise's kept it, and every
    later statement of the service waited for ever."""

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection


client_class = LangganSqliteClient
