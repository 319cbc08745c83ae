"""How fast the engine takes messages: throughput, latency and the event loop's CPU
through the whole path (dedupe, customer, log, state, order writes, each reply logged and
held in the outbox as ``langgan run`` holds it), on the SQLite file store and on
PostgreSQL, next to two baselines measured in the same run:

- ``no-op engine``: the same harness with an engine that touches nothing, the floor of
  what the harness itself costs;
- ``raw SQL``: the bare store path, one transaction of the statements every message
  needs (dedupe insert, identity look-up, message insert, state update) through the raw
  driver (aiosqlite / asyncpg), without the ORM or any conversation logic.

Run:  python bench/inbound.py [--customers 300] [--concurrency 8] [--postgres URL]
PostgreSQL runs when --postgres or LANGGAN_TEST_POSTGRES_URL is given; a database of
its own is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosqlite
import asyncpg
from rich.console import Console
from rich.table import Table

from bench.scratch import DATA_KEY, scratch_database
from bot.conversation.engine import Engine
from bot.inbound import Inbound, Reply
from crm_core.sales.catalog_import import import_products
from crm_core.store import open_store
from message_templates import Texts

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "samples" / "catalog.csv"
START = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


def script(i: int) -> list[str]:
    """One customer's conversation: onboarding, two orders, a look at their orders."""
    return [
        "halo",
        "ya",
        f"Pelanggan {i}",
        "Bandung",
        "lewati",
        "kaos hitam L 2",
        f"Jl. Merdeka No. {i}, Sumur Bandung",
        f"0812{10_000_000 + i}",
        "ya",
        "lewati",
        "lewati",
        "lewati",
        "pesanan saya",
        "menu",
        "pesan",
        "Kemeja Batik",
        "Biru",
        "XL",
        "1",
        "ya",
        "pesanan saya",
        "menu",
    ]


Handle = Callable[[Inbound], Awaitable[list[Reply]]]


@dataclass
class Result:
    backend: str
    path: str
    concurrency: int
    messages: int
    seconds: float
    cpu: float  # the event loop thread's CPU seconds
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.messages * 1000

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


async def drive(
    handle: Handle, customers: int, concurrency: int, who: str
) -> tuple[float, float, list[float]]:
    """Customers in parallel (``concurrency`` at a time), each one's messages in order,
    in Telegram chats named after ``who``: the seconds taken, the CPU seconds of the
    event loop's thread (SQLite's own thread not counted), and each message's latency."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(customers):
        queue.put_nowait(i)
    latencies: list[float] = []
    ids = itertools.count()

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            now = START
            for text in script(i):
                now += timedelta(seconds=2)
                inbound = Inbound(
                    "telegram",
                    f"{who}-{i}",
                    text,
                    f"{who}-u{next(ids)}",
                    now,
                    display_name="Pelanggan",
                    telegram_id=None,
                )
                began = time.perf_counter()
                await handle(inbound)
                latencies.append(time.perf_counter() - began)

    began, cpu = time.perf_counter(), time.thread_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began, time.thread_time() - cpu, latencies


async def noop(inbound: Inbound) -> list[Reply]:
    return []


async def engine_run(url: str, backend: str, customers: int, concurrency: int) -> list[Result]:
    results = []
    async with open_store(url, DATA_KEY):
        await import_products(SAMPLE, START)
        # As in ``langgan run``: each reply is also held in the outbox, in the turn.
        engine = Engine(Texts(), hold_replies=lambda: START)
        for path, handle in (("no-op engine", noop), ("Langgan engine", engine.handle)):
            for level, who in ((1, "one"), (concurrency, "many")):
                seconds, cpu, latencies = await drive(handle, customers, level, who)
                results.append(
                    Result(backend, path, level, len(latencies), seconds, cpu, latencies)
                )
    return results


RAW_SQLITE = """
CREATE TABLE IF NOT EXISTS b_update (channel TEXT, key TEXT, UNIQUE(channel, key));
CREATE TABLE IF NOT EXISTS b_identity (channel TEXT, address TEXT, customer_id INTEGER, UNIQUE(channel, address));
CREATE TABLE IF NOT EXISTS b_message (id INTEGER PRIMARY KEY, customer_id INTEGER, body TEXT, at TEXT);
CREATE TABLE IF NOT EXISTS b_conversation (customer_id INTEGER PRIMARY KEY, state TEXT, at TEXT);
"""


async def raw_sqlite(path: Path, customers: int, concurrency: int) -> list[Result]:
    """The bare store path on SQLite: one connection, one transaction per message, the
    way Tortoise itself serialises SQLite transactions."""
    db = await aiosqlite.connect(path)
    await db.executescript(RAW_SQLITE)
    lock = asyncio.Lock()

    async def handle(inbound: Inbound) -> list[Reply]:
        async with lock:
            await db.execute("BEGIN")
            await db.execute(
                "INSERT INTO b_update VALUES (?, ?)", (inbound.channel, inbound.external_id)
            )
            cursor = await db.execute(
                "SELECT customer_id FROM b_identity WHERE channel=? AND address=?",
                (inbound.channel, inbound.sender),
            )
            row = await cursor.fetchone()
            if row is None:
                customer_id = abs(hash(inbound.sender)) % 10**9
                await db.execute(
                    "INSERT INTO b_identity VALUES (?, ?, ?)",
                    (inbound.channel, inbound.sender, customer_id),
                )
            else:
                customer_id = row[0]
            at = inbound.received_at.isoformat()
            await db.execute(
                "INSERT INTO b_message (customer_id, body, at) VALUES (?, ?, ?)",
                (customer_id, inbound.text, at),
            )
            await db.execute(
                "INSERT OR REPLACE INTO b_conversation VALUES (?, ?, ?)", (customer_id, "idle", at)
            )
            await db.commit()
        return []

    results = []
    for level, who in ((1, "one"), (concurrency, "many")):
        seconds, cpu, latencies = await drive(handle, customers, level, who)
        results.append(
            Result(
                "SQLite file", "raw SQL (aiosqlite)", level, len(latencies), seconds, cpu,
                latencies,
            )
        )  # fmt: skip
    await db.close()
    return results


RAW_POSTGRES = """
CREATE TABLE IF NOT EXISTS b_update (channel TEXT, key TEXT, UNIQUE(channel, key));
CREATE TABLE IF NOT EXISTS b_identity (channel TEXT, address TEXT, customer_id BIGINT, UNIQUE(channel, address));
CREATE TABLE IF NOT EXISTS b_message (id BIGSERIAL PRIMARY KEY, customer_id BIGINT, body TEXT, at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS b_conversation (customer_id BIGINT PRIMARY KEY, state TEXT, at TIMESTAMPTZ);
"""


async def raw_postgres(url: str, customers: int, concurrency: int) -> list[Result]:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=concurrency)
    async with pool.acquire() as conn:
        await conn.execute(RAW_POSTGRES)

    async def handle(inbound: Inbound) -> list[Reply]:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO b_update VALUES ($1, $2)", inbound.channel, inbound.external_id
            )
            customer_id = await conn.fetchval(
                "SELECT customer_id FROM b_identity WHERE channel=$1 AND address=$2",
                inbound.channel,
                inbound.sender,
            )
            if customer_id is None:
                customer_id = abs(hash(inbound.sender)) % 10**9
                await conn.execute(
                    "INSERT INTO b_identity VALUES ($1, $2, $3)",
                    inbound.channel,
                    inbound.sender,
                    customer_id,
                )
            await conn.execute(
                "INSERT INTO b_message (customer_id, body, at) VALUES ($1, $2, $3)",
                customer_id,
                inbound.text,
                inbound.received_at,
            )
            await conn.execute(
                "INSERT INTO b_conversation VALUES ($1, $2, $3) ON CONFLICT (customer_id) "
                "DO UPDATE SET state = EXCLUDED.state, at = EXCLUDED.at",
                customer_id,
                "idle",
                inbound.received_at,
            )
        return []

    results = []
    for level, who in ((1, "one"), (concurrency, "many")):
        seconds, cpu, latencies = await drive(handle, customers, level, who)
        results.append(
            Result(
                "PostgreSQL", "raw SQL (asyncpg)", level, len(latencies), seconds, cpu, latencies
            )
        )
    await pool.close()
    return results


async def with_postgres_database(
    admin_url: str, body: Callable[[str], Awaitable[list[Result]]]
) -> list[Result]:
    async with scratch_database(admin_url) as url:
        return await body(url)


async def main(args: argparse.Namespace) -> None:
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "langgan.db"
        results += await engine_run(
            f"sqlite://{store}", "SQLite file", args.customers, args.concurrency
        )
        results += await raw_sqlite(Path(folder) / "raw.db", args.customers, args.concurrency)
    if args.postgres:

        async def on_postgres(url: str) -> list[Result]:
            found = await engine_run(url, "PostgreSQL", args.customers, args.concurrency)
            return [*found, *await raw_postgres(url, args.customers, args.concurrency)]

        results += await with_postgres_database(args.postgres, on_postgres)
    report(results, args)


def report(results: list[Result], args: argparse.Namespace) -> None:
    title = (
        f"Inbound messages: {args.customers} customers x {len(script(0))} messages each, "
        f"one at a time and {args.concurrency} customers at a time"
    )
    table = Table(title=title)
    columns = (
        "store", "path", "at a time", "msg/s", "p50 ms", "p99 ms", "loop CPU ms/msg",
        "x raw SQL time",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("store", "path") else "right")
    raw = {(r.backend, r.concurrency): r.rate for r in results if r.path.startswith("raw SQL")}
    for r in results:
        ratio = raw[(r.backend, r.concurrency)] / r.rate
        table.add_row(
            r.backend,
            r.path,
            str(r.concurrency),
            f"{r.rate:,.0f}",
            f"{r.percentile(0.5):.2f}",
            f"{r.percentile(0.99):.2f}",
            "-" if r.path == "no-op engine" else f"{r.cpu_ms:.2f}",
            "-" if r.path == "no-op engine" else f"{ratio:.2f}",
        )
    Console(width=140).print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres", default=os.environ.get("LANGGAN_TEST_POSTGRES_URL"))
    asyncio.run(main(parser.parse_args()))
