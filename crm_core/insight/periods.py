"""Report periods as shops name them: ``7d``, ``30d``, ``2026-11``, ``2026-11-01``, or
``2026-11-01..2026-11-30``; whole days in the shop's time zone, both ends included."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_core.errors import InputError

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366  # a longer report is a mistake more often than a wish
_LAST_DAYS = re.compile(r"^(\d{1,4})d$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    first: date  # local days, both included
    last: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        """The UTC-comparable moment the first day begins, in the shop's zone."""
        return datetime.combine(self.first, time(0), self.tz)

    @property
    def end(self) -> datetime:
        """The moment after the last day ends: midnight that follows it."""
        return datetime.combine(self.last + timedelta(days=1), time(0), self.tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def last_days(days: int, now: datetime, tz: ZoneInfo) -> Period:
    """The ``days`` days that end today (today included)."""
    today = now.astimezone(tz).date()
    return between(today - timedelta(days=days - 1), today, tz)


def between(first: date, last: date, tz: ZoneInfo) -> Period:
    if first > last:
        raise InputError("period_backwards", first=first.isoformat(), last=last.isoformat())
    if (last - first).days + 1 > MAX_DAYS:
        raise InputError("period_too_long", most=MAX_DAYS)
    return Period(first, last, tz)


def parse_period(text: str, now: datetime, tz: ZoneInfo) -> Period:
    """The period ``text`` names; empty means the last 30 days. Raises InputError."""
    words = " ".join(text.strip().casefold().split())
    if not words:
        return last_days(DEFAULT_DAYS, now, tz)
    if (named := _named_period(words, now.astimezone(tz).date(), tz)) is not None:
        return named
    if match := _LAST_DAYS.match(words):
        days = int(match.group(1))
        if not 1 <= days <= MAX_DAYS:
            raise InputError("period_days_range", text=words, most=MAX_DAYS)
        return last_days(days, now, tz)
    if match := _MONTH.match(words):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise InputError("period_unreadable", text=words)
        following = date(year + month // 12, month % 12 + 1, 1)
        return between(date(year, month, 1), following - timedelta(days=1), tz)
    if ".." in words:
        first, _, last = (part.strip() for part in words.partition(".."))
        return between(parse_day(first), parse_day(last), tz)
    day = parse_day(words)
    return between(day, day, tz)


_SPOKEN_DAYS = re.compile(r"^(\d{1,3})\s*(?:hari|days?)(?: terakhir| last)?$")


def _named_period(words: str, today: date, tz: ZoneInfo) -> Period | None:
    """The periods people say: hari ini, kemarin, minggu ini (from Monday), minggu lalu,
    bulan ini, bulan lalu, tahun ini, 7 hari; and the same in English."""
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    named = {
        ("hari ini", "today"): (today, today),
        ("kemarin", "yesterday"): (today - timedelta(days=1), today - timedelta(days=1)),
        ("minggu ini", "pekan ini", "this week"): (monday, today),
        ("minggu lalu", "pekan lalu", "last week"): (
            monday - timedelta(days=7),
            monday - timedelta(days=1),
        ),
        ("bulan ini", "this month"): (first_of_month, today),
        ("bulan lalu", "last month"): (last_month_end.replace(day=1), last_month_end),
        ("tahun ini", "this year"): (today.replace(month=1, day=1), today),
    }
    for names, (first, last) in named.items():
        if words in names:
            return between(first, last, tz)
    if match := _SPOKEN_DAYS.match(words):
        days = int(match.group(1))
        if not 1 <= days <= MAX_DAYS:
            raise InputError("period_days_range", text=words, most=MAX_DAYS)
        return between(today - timedelta(days=days - 1), today, tz)
    return None


_NUMERIC_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_NAMED_DAY = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "januari", "january"), ("feb", "februari", "february"),
            ("mar", "maret", "march"), ("apr", "april"), ("mei", "may"),
            ("jun", "juni", "june"), ("jul", "juli", "july"),
            ("agu", "agt", "ags", "agustus", "aug", "august"),
            ("sep", "sept", "september"), ("okt", "oktober", "oct", "october"),
            ("nov", "november", "nop", "nopember"), ("des", "desember", "dec", "december"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip


def parse_day(text: str) -> date:
    """A day as people write it: ``2026-12-02``, ``02/12/2026`` or ``2-12-2026`` (day
    first, as in Indonesia), ``2 Des 2026``, ``2 December 2026``."""
    plain = " ".join(text.strip().casefold().split())
    try:
        if len(plain) == 10 and plain[4] == "-":
            return date.fromisoformat(plain)
        if (numeric := _NUMERIC_DAY.match(plain)) is not None:
            day, month, year = (int(g) for g in numeric.groups())
            return date(year, month, day)
        if (named := _NAMED_DAY.match(plain)) is not None and named.group(2) in _MONTHS:
            return date(int(named.group(3)), _MONTHS[named.group(2)], int(named.group(1)))
    except ValueError:
        pass  # 31/02/2026: no such day
    return _not_a_period(text)


def _not_a_period(text: str) -> date:
    raise InputError("period_unreadable", text=text)
