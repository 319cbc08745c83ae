"""``langgan report`` and ``langgan segments``: the sales report and the customer
segments in the terminal (rich tables), as CSV or JSON for scripts, and as PNG charts."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from bot.cli.language import in_words
from bot.cli.routing import Needs, runs
from bot.settings import Settings
from crm_core.errors import InputError
from crm_core.insight.analytics import Report, Sales, build_report
from crm_core.insight.periods import DEFAULT_DAYS, between, last_days, parse_day
from crm_core.insight.segments import SEGMENTS, members, segment_sizes
from crm_core.sales.money import rupiah
from message_templates import Texts
from message_templates.error_texts import phrase

console = Console()
FORMATS = ("table", "csv", "json")


def add_parsers(commands: Any) -> None:
    report = commands.add_parser(
        "report", help=f"sales, customers and segments over a period (default: {DEFAULT_DAYS} days)"
    )
    report.add_argument("--from", dest="first", type=_day, help="first day, YYYY-MM-DD")
    report.add_argument(
        "--to", dest="last", type=_day, help="last day, YYYY-MM-DD (default: today)"
    )
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument("--charts", type=Path, metavar="DIR", help="also write PNG charts here")
    segments = commands.add_parser("segments", help="customers per segment, or one segment's")
    segments.add_argument("segment", nargs="?", help=f"one of {', '.join(SEGMENTS)}")
    segments.add_argument("--page", type=int, default=1)
    runs(report, _route, Needs.STORE)
    runs(segments, _route, Needs.STORE)


async def _route(args: argparse.Namespace, settings: Settings) -> int:
    return await route(args, settings.tz, language=settings.locale)


def _day(text: str) -> date:
    try:
        return parse_day(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(in_words(exc)) from None


async def route(
    args: argparse.Namespace, tz: ZoneInfo, now: datetime | None = None, *, language: str = "id"
) -> int:
    """``language`` is the shop's (LANGGAN_LOCALE): the charts, months, genders and
    sources are in it."""
    now = now or datetime.now(UTC)
    if args.command == "segments":
        return await _segments(args.segment, args.page, now, tz, Words(Texts(), language))
    today = now.astimezone(tz).date()
    if args.first is None and args.last is None:
        period = last_days(DEFAULT_DAYS, now, tz)
    else:
        last = args.last or today
        period = between(args.first or last.replace(day=1), last, tz)
    report = await build_report(period, now)
    if args.charts is not None:
        _write_charts(report, args.charts, language)
    if args.format == "json":
        json.dump(as_json(report), sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    elif args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(("section", "label", "measure", "value"))
        writer.writerows(as_rows(report))
    else:
        _print(report, Words(Texts(), language))
    return 0


def _write_charts(report: Report, folder: Path, language: str) -> None:
    from bot.report_charts import charts  # matplotlib loads in about a second: only here

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError("charts_folder", folder=str(folder), detail=exc.strerror) from None
    texts = Texts()
    for name, png in charts(report, texts.label_for(language), language):
        (folder / name).write_bytes(png)
    # To stderr: stdout may be CSV or JSON that a script reads.
    Console(stderr=True).print(f"Charts written to {folder}/")


def as_json(report: Report) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data["period"] = {"from": report.period.first, "to": report.period.last,
                      "timezone": str(report.period.tz)}  # fmt: skip
    data["average_order"] = report.average_order
    data["returning_buyers"] = report.returning_buyers
    data["repeat_rate"] = round(report.repeat_rate, 4)
    return data


SUMMARY = ("orders", "revenue", "buyers", "new_buyers", "returning_buyers", "repeat_buyers",
           "repeat_rate", "average_order")  # fmt: skip
BREAKDOWNS = ("products", "colours", "sizes", "days", "weeks", "months", "cities", "genders",
              "age_bands")  # fmt: skip


def as_rows(report: Report) -> Iterator[tuple[str, str, str, object]]:
    """One number a row (section, label, measure, value): easy to filter or pivot."""
    yield "period", "from", "date", report.period.first.isoformat()
    yield "period", "to", "date", report.period.last.isoformat()
    for name in SUMMARY:
        value = getattr(report, name)
        yield "summary", name, "value", round(value, 4) if isinstance(value, float) else value
    for section in BREAKDOWNS:
        for row in getattr(report, section):
            for measure in ("orders", "quantity", "buyers", "revenue"):
                yield section, row.label, measure, getattr(row, measure)
    for source in report.sources:
        yield "sources", source.source, "leads", source.leads
        yield "sources", source.source, "first_orders", source.first_orders
    for segment, size in report.segments.items():
        yield "segments", segment, "customers", size
    for tag, size in report.tags.items():
        yield "tags", tag, "customers", size
    for risk in report.churn:
        yield "churn_risk", f"#{risk.id} {risk.name}", "days_since", risk.days_since


@dataclass(frozen=True)
class Words:
    """Names in the shop's language for what the store keeps as codes."""

    texts: Texts
    lang: str

    def label(self, key: str) -> str:
        return self.texts.label(key, self.lang)

    def month(self, first_day: str) -> str:
        return self.texts.month(first_day, self.lang)

    def say(self, key: str, /, **values: Any) -> str:
        """A line of the report's frame (``cli.toml``), in the report's language."""
        return phrase(key, self.lang, **values)

    def named(self, prefix: str, code: str) -> str:
        """``f`` as Perempuan (gender_f), ``ig`` as Instagram; "" as not known."""
        return self.label(f"{prefix}_{code}") if code else self.label("unknown")


def _print(report: Report, words: Words) -> None:
    period = report.period
    first, last = (words.texts.day(d, words.lang) for d in (period.first, period.last))
    console.print(
        f"[bold]{words.say('report_title', first=first, last=last)}[/] "
        + words.say("report_period", days=period.days, zone=str(period.tz))
    )
    summary = Table(*words.say("report_summary_columns").split("|"))
    summary.add_row(
        str(report.orders), rupiah(report.revenue), rupiah(report.average_order),
        str(report.buyers), str(report.new_buyers), str(report.returning_buyers),
        f"{report.repeat_rate:.0%}",
    )  # fmt: skip
    console.print(summary)
    if report.orders:
        _print_sales(report, words)
    else:
        console.print(words.say("report_no_sales"))
    _print_customers(report, words)


def _print_sales(report: Report, words: Words) -> None:
    console.print(_sales(words.say("report_best"), report.best, words, quantity=True))
    if report.worst:
        console.print(_sales(words.say("report_worst"), report.worst, words, quantity=True))
    months = [replace(m, label=words.month(m.label)) for m in report.months]
    genders = [replace(g, label=words.named("gender", g.label)) for g in report.genders]
    for title, rows, quantity in (
        (words.say("report_by_colour"), report.colours, True),
        (words.say("report_by_size"), report.sizes, True),
        (words.say("report_by_week"), report.weeks, False),
        (words.say("report_by_month"), months, False),
        (words.say("report_by_city"), report.cities, False),
        (words.say("report_by_gender"), genders, False),
        (words.say("report_by_age"), report.age_bands, False),
    ):  # fmt: skip
        if rows:
            console.print(_sales(title, rows, words, quantity=quantity))


def _print_customers(report: Report, words: Words) -> None:
    sources = Table(
        *words.say("report_source_columns").split("|"), title=words.say("report_sources")
    )
    for s in report.sources:
        sources.add_row(words.named("source", s.source), str(s.leads), str(s.first_orders))
    console.print(sources if report.sources else words.say("report_no_sources"))
    console.print(_segment_table(report.segments, words))
    churn = Table(*words.say("report_churn_columns").split("|"), title=words.say("report_churn"))
    for risk in report.churn[:10]:
        churn.add_row(f"#{risk.id} {risk.name}", str(risk.orders_count),
                      words.say("days", n=f"{risk.usual_gap_days:g}"),
                      words.say("days_ago", n=f"{risk.days_since:g}"))  # fmt: skip
    console.print(churn if report.churn else words.say("report_no_churn"))


def _sales(title: str, rows: list[Sales], words: Words, *, quantity: bool) -> Table:
    orders, count, revenue = words.say("report_sales_columns").split("|")
    table = Table("", orders, *([count] if quantity else []), revenue, title=title)
    for row in rows:
        cells = [row.label or words.say("none"), str(row.orders)]
        cells += [str(row.quantity)] if quantity else []
        table.add_row(*cells, rupiah(row.revenue))
    return table


def _segment_table(sizes: dict[str, int], words: Words) -> Table:
    texts = Texts()
    table = Table(*words.say("segment_columns").split("|"), title=words.say("segments_today"))
    for name, size in sizes.items():
        table.add_row(name, texts.label(f"segment_{name}", "en"),
                      texts.label(f"segment_{name}", "id"), str(size))  # fmt: skip
    return table


async def _segments(
    segment: str | None, page: int, now: datetime, tz: ZoneInfo, words: Words
) -> int:
    if segment is None:
        console.print(_segment_table(await segment_sizes(now), words))
        return 0
    found = await members(segment, now, page)
    title = words.say("segment_page", segment=found.segment, total=found.total, page=found.page,
                pages=found.pages)  # fmt: skip
    table = Table(*words.say("segment_member_columns").split("|"), title=title)
    for m in found.members:
        # The shop's own calendar day, as the export writes it: an order at 00:30 in
        # Jakarta is still the day before in UTC.
        last = f"{m.last_order_at.astimezone(tz):%Y-%m-%d}" if m.last_order_at else "-"
        table.add_row(f"#{m.id} {m.name}", str(m.orders_count), rupiah(m.total_spent), last)
    console.print(
        table if found.members else words.say("segment_empty", segment=found.segment, page=page)
    )
    return 0
