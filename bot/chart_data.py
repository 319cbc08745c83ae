"""What the report's charts show, as plain data: sales over time with every day (or week,
or month) of the period present, quiet ones at zero, so a gap on the chart is a day
without sales rather than a day the axis skipped; and the labels, in the reader's
language (``2 Des``, ``Rp1,2 jt``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date, format_interval
from babel.numbers import format_decimal

from crm_core.insight.analytics import Report, Sales
from crm_core.insight.periods import Period

DAILY_UP_TO = 62  # days: two months of bars still read one by one
WEEKLY_UP_TO = 366  # longer periods go by month
# Date labels across a phone-wide chart without crowding: "30 Nov" takes less room
# than "Nov 2026".
MAX_TICKS = {"day": 7, "week": 7, "month": 5}
# Steps between labelled bars, in the series' own unit: a week of days, a fortnight...
TICK_STEPS = {"day": (1, 2, 7, 14, 28), "week": (1, 2, 4, 8, 13, 26), "month": (1, 2, 3, 6, 12)}
# English as written in Indonesia: the day before the month (2 Dec, 1–30 Nov 2026).
DATE_LOCALES = {"id": "id_ID", "en": "en_ID"}


@dataclass(frozen=True)
class Point:
    day: date  # the first day of the bucket that falls in the period
    orders: int
    revenue: int


@dataclass(frozen=True)
class Series:
    step: str  # "day", "week" or "month"
    points: list[Point]


def over_time(report: Report) -> Series:
    """The period's sales by day, by week (Monday first) or by month, whichever keeps
    the bars countable, with every bucket of the period present."""
    period = report.period
    if period.days <= DAILY_UP_TO:
        return Series("day", _filled(report.days, period, _days(period)))
    if period.days <= WEEKLY_UP_TO:
        return Series("week", _filled(report.weeks, period, _weeks(period)))
    return Series("month", _filled(report.months, period, _months(period)))


def _filled(rows: list[Sales], period: Period, buckets: list[date]) -> list[Point]:
    # The report's rows are keyed by the bucket's own start (a Monday, the 1st), which
    # may lie before the period's first day.
    sales = {date.fromisoformat(row.label): row for row in rows}
    points = []
    for start in buckets:
        row = sales.get(start)
        shown = max(start, period.first)
        points.append(Point(shown, row.orders if row else 0, row.revenue if row else 0))
    return points


def _days(period: Period) -> list[date]:
    return [period.first + timedelta(days=n) for n in range(period.days)]


def _weeks(period: Period) -> list[date]:
    monday = period.first - timedelta(days=period.first.weekday())
    return [monday + timedelta(weeks=n) for n in range((period.last - monday).days // 7 + 1)]


def _months(period: Period) -> list[date]:
    months, month = [], period.first.replace(day=1)
    while month <= period.last:
        months.append(month)
        month = (month + timedelta(days=31)).replace(day=1)
    return months


def day_label(day: date, lang: str, step: str = "day") -> str:
    """``2 Des`` (``2 Dec``); a month as ``Des 2026``."""
    pattern = "MMM yyyy" if step == "month" else "d MMM"
    return format_date(day, pattern, locale=_locale(lang))


def full_day_label(day: date, lang: str) -> str:
    """``2 Des 2026``."""
    return format_date(day, "d MMM yyyy", locale=_locale(lang))


def period_label(period: Period, lang: str) -> str:
    """``1–30 Nov 2026``, ``1 Okt–30 Nov 2026``, ``3 Nov 2026``."""
    return format_interval(period.first, period.last, "yMMMd", locale=_locale(lang))


def count_label(count: float, lang: str) -> str:
    """A whole count as the reader groups digits: ``4.000`` (``4,000``)."""
    return format_decimal(round(count), locale=_locale(lang))


def tick_positions(count: int, step: str = "day") -> list[int]:
    """Which of ``count`` bars get a date label: the first, then every day, every other
    day, every week, every fortnight... whichever is the shortest step that leaves no
    more labels than fit."""
    steps, most = TICK_STEPS.get(step, TICK_STEPS["day"]), MAX_TICKS.get(step, 5)
    every = next((n for n in steps if -(-count // n) <= most), -(-count // most))
    return list(range(0, count, every))


def _locale(lang: str) -> str:
    return DATE_LOCALES.get(lang, DATE_LOCALES["id"])
