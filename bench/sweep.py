"""How the sweep scales: a generated shop of many customers and orders, 1% of them due a
nurture message today. Reports the sweep's time, the statements it issued and the
process's peak memory, on the SQLite file store and on PostgreSQL.

Run:  python bench/sweep.py [--customers 100000 1000000] [--postgres URL]
The data is generated with plain bulk inserts (not the ORM), in a database of its own
that is removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.table import Table
from tortoise.connection import connections

import scheduler.sweep as sweep_module
from bench.scratch import DATA_KEY, scratch_database
from crm_core.outreach.contact_policy import Rules
from crm_core.store import connection_name, open_store
from message_templates import Texts
from scheduler.campaigns import load_campaigns
from scheduler.sweep import sweep

NOW = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta
ORDERS_EACH = 3
DUE_SHARE = 0.01
FILL_BATCH = 20_000  # rows generated at a time
BATCHED = sweep_module.BATCH  # the sweep's own batch size


def rows(first: int, last: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Customers ``first``..``last``, their chats and their orders; 1% ordered exactly
    three days ago. Made a batch at a time, so the data never sits whole in memory."""
    rng = random.Random(first)
    people, chats, orders = [], [], []
    due_every = int(1 / DUE_SHARE)
    for cid in range(first, last + 1):
        dates = sorted(NOW - timedelta(days=rng.randint(10, 700)) for _ in range(ORDERS_EACH))
        if cid % due_every == 0:
            dates[-1] = NOW - timedelta(days=3, hours=2)
        people.append(
            (cid, f"Pelanggan {cid}", dates[0], dates[-1], len(dates), 100_000 * len(dates))
        )
        chats.append((cid, str(10_000_000 + cid), cid, dates[-1]))
        orders.extend((cid, d) for d in dates)
    return people, chats, orders


CUSTOMER_SQL = (
    "INSERT INTO customer (id, name, language, consent_marketing, phone_verified, blacklisted, "
    "first_order_at, last_order_at, orders_count, total_spent, created_at, updated_at) "
    "VALUES ({p}1, {p}2, 'id', TRUE, FALSE, FALSE, {p}3, {p}4, {p}5, {p}6, {p}3, {p}4)"
)
CHAT_SQL = (
    "INSERT INTO conversation (id, channel, address, customer_id, state, data, "
    "last_inbound_at, created_at, updated_at) "
    "VALUES ({p}1, 'telegram', {p}2, {p}3, 'idle', '{{}}', {p}4, {p}4, {p}4)"
)
ORDER_SQL = (
    'INSERT INTO "order" (customer_id, status, channel, total, ship_name, ship_address, '
    "ship_city, created_at, updated_at) "
    "VALUES ({p}1, 'selesai', 'telegram', 100000, 'x', 'Jl. Merdeka 1', 'Bandung', {p}2, {p}2)"
)


def placeholders(sql: str, postgres: bool) -> str:
    # Numbered parameters: $1 for asyncpg, ?1 for SQLite (which may reuse them too).
    return sql.format(p="$" if postgres else "?")


async def fill(url: str, customers: int) -> float:
    postgres = url.startswith("postgres")
    statements = [placeholders(sql, postgres) for sql in (CUSTOMER_SQL, CHAT_SQL, ORDER_SQL)]
    began = time.perf_counter()
    async with open_store(url, DATA_KEY):
        conn = connections.get(connection_name(url))
        for first in range(1, customers + 1, FILL_BATCH):
            batch = rows(first, min(customers, first + FILL_BATCH - 1))
            for statement, data in zip(statements, batch, strict=True):
                if not postgres:  # SQLite keeps times as Tortoise writes them
                    data = [
                        tuple(v.isoformat(sep=" ") if isinstance(v, datetime) else v for v in row)
                        for row in data
                    ]
                await conn.execute_many(statement, data)
    return time.perf_counter() - began


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def measure(url: str, batch: int = BATCHED) -> tuple[float, int, int, int]:
    texts = Texts()
    campaigns = [c for c in load_campaigns(None, texts) if c.kind == "nurture"]
    sweep_module.BATCH = batch
    async with open_store(url, DATA_KEY, bring_up_to_date=False):
        if batch == 1:  # the baseline sweeps the store the batched sweep already swept
            conn = connections.get(connection_name(url))
            for sql in ("DELETE FROM outbox", "DELETE FROM contact",
                        "UPDATE customer SET last_contacted_at = NULL, last_contacted_by = NULL"):  # fmt: skip
                await conn.execute_script(sql)
        # Tortoise logs every statement it sends, in or out of a transaction.
        counter = _Counter()
        db_log = logging.getLogger("tortoise.db_client")
        db_log.addHandler(counter)
        db_log.setLevel(logging.DEBUG)
        db_log.propagate = False
        began = time.perf_counter()
        outcomes = await sweep(NOW, campaigns, Rules(), texts)
        seconds = time.perf_counter() - began
        db_log.removeHandler(counter)
    queued = sum(o.status == "queued" for o in outcomes)
    return (
        seconds,
        counter.count,
        queued,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    )


async def run_one(url: str, customers: int, baseline: bool) -> list[list[str]]:
    """Fill one store and sweep it (and, for the baseline, sweep it again one customer at
    a time): the table's rows for that store."""
    filled = await fill(url, customers)
    rows = []
    for batch in (BATCHED, 1) if baseline else (BATCHED,):
        seconds, statements, queued, rss = await measure(url, batch)
        per_due = seconds / queued * 1000 if queued else 0.0
        rows.append([
            f"{customers:,}", f"{customers * ORDERS_EACH:,}", f"{filled:.1f}", str(batch),
            f"{seconds:.2f}", f"{statements:,}", f"{queued:,}", f"{per_due:.3f}", str(rss),
        ])  # fmt: skip
    sweep_module.BATCH = BATCHED
    return rows


async def main(args: argparse.Namespace) -> None:
    table = Table(title="Sweep: 3 orders per customer, 1% of customers due a nurture message")
    columns = ("store", "customers", "orders", "fill s", "batch", "sweep s", "statements",
               "queued", "ms per due", "peak RSS MB")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "store" else "right")
    # Peak RSS is the process's high-water mark: run the sizes from small to large.
    for customers in sorted(args.customers):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite://{Path(folder) / 'shop.db'}"
            for row in await run_one(url, customers, customers <= args.baseline_upto):
                table.add_row("SQLite file", *row)
        if args.postgres:
            async with scratch_database(args.postgres) as url:
                for row in await run_one(url, customers, customers <= args.baseline_upto):
                    table.add_row("PostgreSQL", *row)
    Console(width=140).print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--customers", type=int, nargs="+", default=[1_000_000],
        help="one or more shop sizes; the sweep's cost should follow the number due",
    )  # fmt: skip
    parser.add_argument(
        "--baseline-upto", type=int, default=100_000,
        help="for shops up to this size, sweep again one customer at a time (the baseline)",
    )  # fmt: skip
    parser.add_argument("--postgres", default=os.environ.get("LANGGAN_TEST_POSTGRES_URL"))
    asyncio.run(main(parser.parse_args()))
