"""Opening the store: Tortoise configuration, schema migrations, closing.

Nothing connects at import; ``TORTOISE_ORM`` is only a dictionary, read by Tortoise's own
``tortoise makemigrations`` through ``[tool.tortoise]`` in pyproject.toml.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import connections
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.migrations.api.migrate import migrate as tortoise_migrate
from tortoise.migrations.executor import MigrationExecutor
from tortoise.queryset import UpdateQuery

from crm_core.errors import StoreError
from crm_core.privacy import sealed_rows
from crm_core.privacy.sealing import (
    Keyring,
    StoreKeys,
    keyring,
    keys_in_use,
    use_keyring,
    use_store_keys,
)

# A message's turn and a batch of send results say their statements are short: on SQLite
# they then run without a trip to aiosqlite's thread (see crm_core.sqlite_client).
from crm_core.sqlite_client import durable as durable
from crm_core.sqlite_client import short_statements as short_statements

APP = "langgan"
DEFAULT_DB_URL = "sqlite://langgan.db"


def connection_name(db_url: str) -> str:
    # Tortoise caches each model's SQL by connection name, not by dialect: naming the
    # connection after its backend keeps SQLite's SQL away from PostgreSQL when one
    # process opens both (the test suite, the benchmark).
    return "postgres" if db_url.startswith(("postgres", "asyncpg", "psycopg")) else "sqlite"


# Each query parameter of a SQLite URL is a PRAGMA on Tortoise's connection; a shop's URL
# may set its own, and these fill in the rest.
SQLITE_PRAGMAS = {
    # Readers never wait for the writer, and a commit is one append to the log.
    "journal_mode": "WAL",
    # A commit is on the disk before anyone is told of it: a message the webhook
    # acknowledged (Telegram will not send it again) survives a power cut, not only a
    # crash. NORMAL would skip the sync and could lose the last commits, acknowledged
    # ones included, when the power goes. A turn's commit shares its sync with the turns
    # committed at the same moment, on a thread (``durable`` in crm_core.sqlite_client);
    # every other commit syncs before it returns.
    "synchronous": "FULL",
    # A helper thread lets SQLite sort in parallel: a year's report groups a million
    # rows several times (4.9 s down to 4.4 s over a million orders, bench/report.py).
    "threads": "2",
}


def _with_pragmas(db_url: str) -> str:
    given = {part.split("=", 1)[0] for part in db_url.partition("?")[2].split("&") if part}
    missing = [f"{k}={v}" for k, v in SQLITE_PRAGMAS.items() if k not in given]
    if not missing:
        return db_url
    return f"{db_url}{'&' if '?' in db_url else '?'}{'&'.join(missing)}"


def tortoise_config(db_url: str) -> dict[str, Any]:
    name = connection_name(db_url)
    if name == "sqlite":
        db_url = _with_pragmas(db_url)
    connection: str | dict[str, Any] = db_url
    if name == "sqlite":
        connection = expand_db_url(db_url)
        connection["engine"] = "crm_core.sqlite_client"  # Tortoise's, one trip shorter
    if name == "postgres":
        connection = expand_db_url(db_url)
        connection["credentials"]["reset"] = _nothing_to_reset
    return {
        "connections": {name: connection},
        "apps": {
            APP: {
                "models": ["crm_core.models"],
                "migrations": "crm_core.migrations",
                "default_connection": name,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def _nothing_to_reset(connection: object) -> None:
    """What a PostgreSQL connection needs undone before the pool lends it again: nothing.

    asyncpg's pool first rolls back a transaction left open, then by default sends a
    query that unlocks advisory locks, closes cursors, stops listening and resets every
    setting: a round trip for each transaction and each statement outside one, a
    message's turn included. Langgan leaves none of those on a session: it takes
    no advisory locks, opens no cursors, listens to nothing, and its one setting is
    ``SET LOCAL``, which ends with its transaction (tests/store/test_postgres_plans.py)."""


TORTOISE_ORM = tortoise_config(os.environ.get("LANGGAN_DB_URL") or DEFAULT_DB_URL)


async def migrate(db_url: str) -> list[str]:
    """Apply every migration the store lacks; return the names applied."""
    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)

    try:
        await tortoise_migrate(config=tortoise_config(_for_migrating(db_url)), progress=progress)
    except OSError as exc:
        raise StoreError("store_unreachable", store=redact(db_url), detail=str(exc)) from exc
    if connection_name(db_url) == "sqlite" and applied:
        await _check_references(db_url)
    return applied


def _for_migrating(db_url: str) -> str:
    """SQLite changes a column by copying its table to a new one and dropping the old;
    with foreign keys enforced, dropping a table other rows point to fails, so a store
    with data could not be migrated. Enforcement is off for the migration's own
    connection (as SQLite's documentation prescribes for such changes), and every
    reference is checked afterwards."""
    if connection_name(db_url) != "sqlite":
        return db_url
    return f"{db_url}{'&' if '?' in db_url else '?'}foreign_keys=OFF"


async def _check_references(db_url: str) -> None:
    path = db_url.removeprefix("sqlite://").split("?", 1)[0]

    def check() -> list[Any]:
        with contextlib.closing(sqlite3.connect(path)) as db:
            return db.execute("PRAGMA foreign_key_check").fetchall()

    broken = await asyncio.to_thread(check) if path != ":memory:" else []
    if broken:
        raise StoreError("store_references_broken", store=redact(db_url), count=len(broken))


async def pending_migrations(db_url: str) -> list[str]:
    """The migrations the open store still lacks."""
    config = tortoise_config(db_url)
    executor = MigrationExecutor(
        connections.get(connection_name(db_url)), {APP: config["apps"][APP]}
    )
    return [f"{step.migration.name}" for step in await executor.plan() if not step.backward]


@contextlib.asynccontextmanager
async def open_store(
    db_url: str,
    data_key: str | None,
    *,
    bring_up_to_date: bool = True,
    require_current: bool = False,
) -> AsyncIterator[None]:
    """Connect, check the data key against the store, migrate (or, with
    ``require_current``, refuse a store that lacks migrations), and close on the way out.

    ``data_key`` is ``LANGGAN_DATA_KEY``: without it, or with a key that does not open
    this store, nothing is opened and nothing changes."""
    ring = Keyring.from_setting(data_key)
    with keys_in_use():
        use_keyring(ring)
        async with _opened(db_url, ring, bring_up_to_date, require_current):
            yield


@contextlib.asynccontextmanager
async def _opened(
    db_url: str, ring: Keyring, bring_up_to_date: bool, require_current: bool
) -> AsyncIterator[None]:
    # A context of its own: models bind to this store's dialect and connections, and
    # nothing leaks into the next store opened in the same process (tests, benchmarks).
    async with TortoiseContext() as context:
        try:
            await context.init(config=tortoise_config(db_url))
            await sealed_rows.check_key(connection_name(db_url), ring)
            if bring_up_to_date:
                with contextlib.redirect_stdout(io.StringIO()):
                    await migrate(db_url)
            elif require_current and (missing := await pending_migrations(db_url)):
                raise StoreError("store_behind", store=redact(db_url), missing=", ".join(missing))
            if bring_up_to_date or not await pending_migrations(db_url):
                await load_keys(db_url, seal=bring_up_to_date or not require_current)
        except OSError as exc:
            raise StoreError("store_unreachable", store=redact(db_url), detail=str(exc)) from exc
        yield


async def load_keys(db_url: str, *, seal: bool) -> StoreKeys:
    """Load the store's index key for this context. Rows written before encryption at
    rest are sealed once (``seal``), on the first open after migrating, else the store
    is refused until `langgan migrate` has sealed them; on SQLite the file is then
    rewritten, so the plain text they held is not left behind in its free pages."""
    keys = await sealed_rows.load_keys(keyring())
    use_store_keys(keys)
    if await sealed_rows.sealed_with(keys) is None:
        if not seal:
            sealed_rows.require_sealed(None)
        done = await sealed_rows.reseal(connection_name(db_url), keys)
        if done.total and connection_name(db_url) == "sqlite":
            await vacuum(db_url)
    return keys


async def vacuum(db_url: str) -> None:
    connection = connections.get(connection_name(db_url))
    await connection.execute_script("VACUUM")
    await connection.execute_script("PRAGMA wal_checkpoint(TRUNCATE)")


# PostgreSQL's serialization failure and deadlock: the transaction was rolled back and
# may simply be run again.
RETRY_SQLSTATES = {"40001", "40P01"}


async def updated_ids(update: UpdateQuery) -> set[int]:
    """Run a conditional UPDATE and return the ids of the rows it changed: a batch of
    claims in one statement, each row won by exactly one of several racing callers.
    Tortoise has no RETURNING for updates, so its own SQL gets one appended (inside a
    CTE on PostgreSQL, where asyncpg returns no rows for a bare UPDATE)."""
    update._choose_db_if_not_chosen(True)
    update._make_query()
    sql, values = update.query.get_parameterized_sql()
    if update._db.capabilities.dialect == "postgres":
        sql = f'WITH changed AS ({sql} RETURNING "id") SELECT "id" FROM changed'
    else:
        sql = f'{sql} RETURNING "id"'
    _, rows = await update._db.execute_query(sql, values)
    return {int(row["id"]) for row in rows}


async def plan_for_own_values(db: BaseDBAsyncClient) -> None:
    """Have PostgreSQL plan each statement of ``db``'s transaction for its own values.

    After five runs PostgreSQL may plan a prepared statement once for all values. For an
    import's look-up of a thousand phones that plan, made while the table was small,
    scans the whole customer table, and each batch got slower as the table grew (a
    100,000-row import: 0.1 s a batch at first, 3.8 s at the end). A bulk transaction
    asks for this; the live path does not: its statements find rows by key, where the
    plan kept is the right one, and planning each again cost PostgreSQL about a third of
    its CPU a message (bench/webhook.py)."""
    if db.capabilities.dialect == "postgres":
        await db.execute_script("SET LOCAL plan_cache_mode = force_custom_plan")


def is_transient(exc: BaseException) -> bool:
    """An error that a fresh try of the same transaction may not meet again."""
    if isinstance(exc, IntegrityError | OperationalError):
        return True
    return getattr(exc, "sqlstate", None) in RETRY_SQLSTATES


def redact(db_url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "@" not in db_url or "://" not in db_url:
        return db_url
    scheme, rest = db_url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
