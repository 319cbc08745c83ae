"""How long the whole report takes on a big shop: 100,000 customers and 1,000,000 orders
over two years (5% cancelled), every figure plus segments, tags and the churn list, for
the last 30 days, the last 365 days and the whole history (every order).

Run:  python bench/report.py [--customers 100000] [--orders 1000000] [--runs 3] [--postgres URL]
The data is written straight to the store (sqlite3's executemany in one transaction;
asyncpg's COPY on PostgreSQL), in a database of its own that is removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from rich.console import Console
from rich.table import Table

from bench.scratch import DATA_KEY, scratch_database
from crm_core.insight.analytics import build_report
from crm_core.insight.periods import Period, between, last_days
from crm_core.store import open_store

NOW = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta
TZ = ZoneInfo("Asia/Jakarta")
DAYS = 730
CITIES = ("Jakarta", "Bandung", "Surabaya", "Medan", "Semarang", "Makassar", "Depok", "Bekasi",
          "Tangerang", "Yogyakarta")  # fmt: skip
SOURCES = ("instagram", "tiktok", "facebook", "teman", None)
PRODUCTS = [(f"Produk {n:02d}", 25_000 + 5_000 * n) for n in range(40)]
COLOURS = ("Hitam", "Putih", "Navy", "Mocca", None)
SIZES = ("S", "M", "L", "XL", None)


def generate(customers: int, orders: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Customers with running figures that agree with their orders, orders, and one or
    two items per order, the orders spread evenly over customers and over two years."""
    rng = random.Random(7)
    # Order numbers grow with time, as in a real shop: a period's orders sit together.
    placed_at = sorted(
        (NOW - timedelta(seconds=rng.randint(0, DAYS * 86_400)), rng.randint(1, customers))
        for _ in range(orders)
    )
    people, placed, items = [], [], []
    figures: dict[int, list] = {}
    for order_id, (at, cid) in enumerate(placed_at, start=1):
        cancelled = rng.random() < 0.05
        lines = [(rng.choice(PRODUCTS), rng.randint(1, 3), rng.choice(COLOURS), rng.choice(SIZES))
                 for _ in range(1 if rng.random() < 0.8 else 2)]  # fmt: skip
        total = sum(price * qty for (_, price), qty, _, _ in lines)
        status = "batal" if cancelled else "selesai"
        placed.append((order_id, cid, status, total, rng.choice(CITIES), at, at))
        for (name, price), qty, colour, size in lines:
            items.append((order_id, name, price, qty, colour, size))
        if not cancelled:
            f = figures.setdefault(cid, [0, 0, at, at])
            f[0] += 1
            f[1] += total
            f[2], f[3] = min(f[2], at), max(f[3], at)
    for cid in range(1, customers + 1):
        n, spent, first, last = figures.get(cid, [0, 0, None, None])
        created = (first or NOW) - timedelta(days=rng.randint(0, 30))
        people.append((cid, f"Pelanggan {cid}", rng.choice(CITIES), rng.choice(("f", "m", None)),
                       rng.choice(("18-24", "25-34", "35-44", None)), rng.choice(SOURCES),
                       first, last, n, spent, created, created))  # fmt: skip
    return people, placed, items


COLUMNS = {
    "customer": "id, name, city, gender, age_band, lead_source, first_order_at, last_order_at, "
    "orders_count, total_spent, created_at, updated_at, language, phone_verified, blacklisted",
    "order": "id, customer_id, status, total, ship_city, created_at, updated_at, channel, "
    "ship_name, ship_address",
    "order_item": "order_id, product_name, unit_price, quantity, colour, size",
}
FIXED = {
    "customer": ("id", False, False),
    "order": ("telegram", "x", "Jl. Merdeka 1"),
    "order_item": (),
}


def complete(table: str, rows: list[tuple]) -> Iterator[tuple]:
    return (row + FIXED[table] for row in rows)


def fill_sqlite(path: Path, data: dict[str, list[tuple]]) -> None:
    db = sqlite3.connect(path)
    with db:  # one transaction
        for table, rows in data.items():
            columns = COLUMNS[table]
            marks = ", ".join("?" * len(columns.split(",")))
            db.executemany(
                f'INSERT INTO "{table}" ({columns}) VALUES ({marks})',
                (tuple(v.isoformat(sep=" ") if isinstance(v, datetime) else v for v in row)
                 for row in complete(table, rows)),
            )  # fmt: skip
    db.close()


async def fill_postgres(url: str, data: dict[str, list[tuple]]) -> None:
    conn = await asyncpg.connect(url)
    try:
        for table, rows in data.items():
            columns = [c.strip() for c in COLUMNS[table].split(",")]
            await conn.copy_records_to_table(table, records=list(complete(table, rows)),
                                             columns=columns)  # fmt: skip
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def periods() -> dict[str, Period]:
    today = NOW.astimezone(TZ).date()
    first = (NOW - timedelta(days=DAYS)).astimezone(TZ).date()  # the oldest order's day
    return {
        "last 30 days": last_days(30, NOW, TZ),
        "last 365 days": last_days(365, NOW, TZ),
        "all history": between(first, today, TZ),
    }


async def time_reports(url: str, runs: int, sales: int) -> dict[str, list[float]]:
    """Seconds per run for each period; ``sales`` (orders not cancelled) checks that the
    whole-history report counted every one."""
    timings: dict[str, list[float]] = {name: [] for name in periods()}
    async with open_store(url, DATA_KEY, bring_up_to_date=False):
        for name, period in periods().items():
            for _ in range(runs):
                began = time.perf_counter()
                report = await build_report(period, NOW)
                timings[name].append(time.perf_counter() - began)
            assert report.orders > 0
    assert report.orders == sales, (report.orders, sales)
    return timings


async def main(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    people, placed, items = generate(args.customers, args.orders)
    data = {"customer": people, "order": placed, "order_item": items}
    print(f"generated {len(people):,} customers, {len(placed):,} orders, {len(items):,} items "
          f"in {time.perf_counter() - began:.1f}s", flush=True)  # fmt: skip
    table = Table(title=f"Full report: {args.customers:,} customers, {args.orders:,} orders "
                  f"(median of {args.runs} runs)")  # fmt: skip
    for column in ("store", "fill s", *(f"{name} s" for name in periods())):
        table.add_column(column, justify="left" if column == "store" else "right")

    sales = sum(1 for order in placed if order[2] != "batal")

    def row(store: str, filled: float, timings: dict[str, list[float]]) -> None:
        table.add_row(store, f"{filled:.1f}",
                      *(f"{statistics.median(t):.2f}" for t in timings.values()))  # fmt: skip

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shop.db"
        url = f"sqlite://{path}"
        async with open_store(url, DATA_KEY):  # migrate: the schema and its indexes
            pass
        began = time.perf_counter()
        fill_sqlite(path, data)
        row("SQLite file", time.perf_counter() - began, await time_reports(url, args.runs, sales))
    if args.postgres:
        async with scratch_database(args.postgres) as url:
            async with open_store(url, DATA_KEY):
                pass
            began = time.perf_counter()
            await fill_postgres(url, data)
            row(
                "PostgreSQL", time.perf_counter() - began, await time_reports(url, args.runs, sales)
            )
    Console(width=120).print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("LANGGAN_TEST_POSTGRES_URL"))
    asyncio.run(main(parser.parse_args()))
