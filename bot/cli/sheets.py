"""``langgan import`` and ``langgan export``: the shop's spreadsheet in and out, with a
progress bar for long files and a summary at the end."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.groups import subcommands
from bot.cli.language import in_words, say
from bot.cli.routing import Needs, runs
from bot.settings import Settings
from crm_core.sheets.columns import header
from crm_core.sheets.export import ExtraColumn
from crm_core.sheets.tally import ImportSummary, default_report_path, write_report

console = Console()
errors = Console(stderr=True)
KINDS = ("customers", "orders")


def customer_extra_columns(now: datetime, language: str = "id") -> list[ExtraColumn]:
    """Columns added to ``langgan export customers`` after the built-in ones, each one
    query per page of customers: the segment each customer is in today (its machine
    name, the same in every language, so a sheet can be filtered by it)."""
    from crm_core.insight.segments import segment_of

    async def segments(page: list[Any]) -> dict[int, Any]:
        return await segment_of([c.id for c in page], now)

    return [ExtraColumn(header("segment", language), segments)]


def add_parsers(commands: Any) -> None:
    importer = commands.add_parser("import", help="load customers or orders from a spreadsheet")
    importer.add_argument("kind", choices=KINDS)
    importer.add_argument("file", type=Path, help="a .xlsx or .csv file")
    importer.add_argument(
        "--report", type=Path, help="where to write the rows that were not loaded "
        "(default: FILE.errors.csv next to the file)",
    )  # fmt: skip
    runs(importer, route, Needs.STORE)
    export = subcommands(commands, "export", "write the shop's data to files")
    for kind in KINDS:
        exporter = export.add_parser(kind, help=f"write the {kind} to a spreadsheet")
        exporter.add_argument("file", type=Path, help="a .xlsx or .csv file (by its extension)")
        exporter.set_defaults(kind=kind)
        runs(exporter, route, Needs.STORE)


async def route(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "import":
        return await _import(args.kind, args.file, args.report, settings)
    return await _export(args.kind, args.file, settings)


@contextmanager
def _bar(description: str) -> Iterator[Any]:
    """A progress bar on a terminal; nothing when the output goes to a file or a pipe."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=errors, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(description, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update


async def _import(kind: str, path: Path, report: Path | None, settings: Settings) -> int:
    from crm_core.sheets.customers import import_customers
    from crm_core.sheets.orders import import_orders

    now = datetime.now(UTC)
    with _bar(say("importing_" + kind)) as progress:
        if kind == "customers":
            summary = await import_customers(path, now, language=settings.locale, progress=progress)
        else:
            summary = await import_orders(
                path, now, settings.tz, language=settings.locale, progress=progress
            )
    _print_summary(kind, summary)
    if summary.problems or summary.unknown_columns:
        report = report or default_report_path(path)
        write_report(summary, report, in_words, (say("report_row"), say("report_problem")))
        errors.print(
            f"[yellow]{say('rows_refused', count=len(summary.problems))}[/] "
            + say("rows_refused_where", file=escape(str(report))),
            highlight=False,
            soft_wrap=True,
        )
    return 1 if summary.bad else 0


def _print_summary(kind: str, s: ImportSummary) -> None:
    console.print(
        say("imported_" + kind, added=s.added, merged=s.merged, unchanged=s.unchanged,
            skipped=s.skipped, bad=s.bad),
        highlight=False,
        soft_wrap=True,
    )  # fmt: skip
    if s.customers_added:
        console.print(say("customers_from_orders", count=s.customers_added), highlight=False)
    for name in s.unknown_columns:
        errors.print(
            f"[yellow]{escape(say('column_ignored', name=name))}[/]",
            highlight=False,
            soft_wrap=True,
        )


async def _export(kind: str, path: Path, settings: Settings) -> int:
    from crm_core.sheets.export import export_customers, export_orders

    with _bar(say("exporting_" + kind)) as progress:
        if kind == "customers":
            count = await export_customers(
                path,
                settings.tz,
                language=settings.locale,
                extra=customer_extra_columns(datetime.now(UTC), settings.locale),
                progress=progress,
            )
        else:
            count = await export_orders(
                path, settings.tz, language=settings.locale, progress=progress
            )
    console.print(
        say("exported_" + kind, count=count, file=escape(str(path))),
        highlight=False,
        soft_wrap=True,
    )
    return 0
