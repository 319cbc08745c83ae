"""The stores the tests run on: PostgreSQL when LANGGAN_TEST_POSTGRES_URL is set, the
server's own database for creating and dropping test databases, and emptying a store
between tests."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import asyncpg
from tortoise import Tortoise

POSTGRES_URL = os.environ.get("LANGGAN_TEST_POSTGRES_URL")
NO_POSTGRES = "LANGGAN_TEST_POSTGRES_URL is not set: the PostgreSQL store tests are skipped"


def run_aside(coroutine_function, *args):  # type: ignore[no-untyped-def]
    """Run a coroutine to completion on its own loop in a thread: session fixtures are
    first requested from inside a test's running loop, where asyncio.run is refused."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine_function(*args)).result()


async def admin(sql: str) -> None:
    """One statement on the server's own database: create or drop a test database."""
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def truncate_all() -> None:
    conn = Tortoise.get_connection("postgres")
    # The store's own secrets stay: every process that opens it must hash look-ups alike.
    tables = ", ".join(
        f'"{model._meta.db_table}"'
        for model in Tortoise.apps["langgan"].values()
        if model._meta.db_table != "store_secret"
    )
    await conn.execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
