"""How fast a shop's customer spreadsheet loads: a generated sheet of customers (phones
written in mixed forms, Indonesian headers, 1% of rows repeating an earlier customer),
as XLSX and as CSV, imported into an empty store, then imported again (every row
already there), on the SQLite file store and on PostgreSQL.

Run:  python bench/import.py [--rows 100000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook
from rich.console import Console
from rich.table import Table

from bench.scratch import DATA_KEY, scratch_database
from crm_core.sheets.customers import import_customers
from crm_core.store import open_store

NOW = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)
HEADERS = ["Nama", "No. HP", "Email", "Alamat", "Kota", "Jenis Kelamin", "Umur", "Sumber"]
CITIES = ["Jakarta", "Bandung", "Surabaya", "Medan", "Semarang", "Makassar", "Denpasar"]
SOURCES = ["instagram", "tiktok", "teman", "facebook", "google"]


def sheet_rows(count: int) -> list[list[object]]:
    rng = random.Random(7)
    rows: list[list[object]] = []
    for n in range(count):
        person = rng.randrange(n) if n > 100 and rng.random() < 0.01 else n  # a repeat
        digits = f"{812_0000_0000 + person * 7:011d}"
        phone = rng.choice(
            [f"0{digits}", f"+62 {digits[:3]}-{digits[3:7]}-{digits[7:]}", f"62{digits}"]
        )
        rows.append([
            f"Pelanggan {person}", phone, f"p{person}@contoh.id", f"Jl. Mawar No. {person % 200}",
            rng.choice(CITIES), rng.choice("LP"), rng.randint(16, 60), rng.choice(SOURCES),
        ])  # fmt: skip
    return rows


def write_files(folder: Path, count: int) -> tuple[Path, Path]:
    rows = sheet_rows(count)
    xlsx, text = folder / "pelanggan.xlsx", folder / "pelanggan.csv"
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(xlsx)
    with text.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return xlsx, text


async def timed(url: str, path: Path) -> tuple[float, str]:
    async with open_store(url, DATA_KEY, bring_up_to_date=False):
        began = time.perf_counter()
        s = await import_customers(path, NOW)
        seconds = time.perf_counter() - began
    return seconds, f"{s.added:,} added, {s.merged + s.unchanged:,} merged or there"


async def run_store(table: Table, store: str, make_url: Any, files: tuple[Path, Path]) -> None:
    for path in files:
        # A fresh store for each file (emptying one costs more than the import: deleting
        # a customer checks every other for a merge pointing at it).
        url = await make_url(path.suffix[1:])
        async with open_store(url, DATA_KEY):
            pass
        first, said = await timed(url, path)
        again, _ = await timed(url, path)
        table.add_row(
            store, path.suffix[1:].upper(), f"{path.stat().st_size / 1e6:.1f}",
            f"{first:.1f}", f"{again:.1f}", said,
            str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024),
        )  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    table = Table(title=f"Import customers: {args.rows:,} rows")
    for column in ("store", "file", "MB", "first s", "again s", "outcome", "peak RSS MB"):
        table.add_column(column, justify="left" if column in ("store", "outcome") else "right")
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        files = write_files(Path(folder), args.rows)
        print(f"generated the sheets in {time.perf_counter() - began:.1f} s", file=sys.stderr)

        async def sqlite_url(name: str) -> str:
            return f"sqlite://{Path(folder) / name}.db"

        await run_store(table, "SQLite file", sqlite_url, files)
        if args.postgres:
            async with contextlib.AsyncExitStack() as made:

                async def postgres_url(name: str) -> str:
                    return await made.enter_async_context(scratch_database(args.postgres))

                await run_store(table, "PostgreSQL", postgres_url, files)
    Console(width=120).print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("LANGGAN_TEST_POSTGRES_URL"))
    asyncio.run(main(parser.parse_args()))
