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
HOW = "say 7d, 30d, a month such as 2026-11, a day such as 2026-11-05, or 2026-11-01..2026-11-30"


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
        raise InputError(
            f"the period starts ({first.isoformat()}) after it ends ({last.isoformat()}): "
            "put the earlier day first"
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise InputError(f"the period is longer than {MAX_DAYS} days: choose a shorter one")
    return Period(first, last, tz)


def parse_period(text: str, now: datetime, tz: ZoneInfo) -> Period:
    """The period ``text`` names; empty means the last 30 days. Raises InputError."""
    words = text.strip()
    if not words:
        return last_days(DEFAULT_DAYS, now, tz)
    if match := _LAST_DAYS.match(words):
        days = int(match.group(1))
        if not 1 <= days <= MAX_DAYS:
            raise InputError(f"{words!r}: say between 1d and {MAX_DAYS}d")
        return last_days(days, now, tz)
    if match := _MONTH.match(words):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise InputError(f"{words!r} is not a month: {HOW}")
        following = date(year + month // 12, month % 12 + 1, 1)
        return between(date(year, month, 1), following - timedelta(days=1), tz)
    if ".." in words:
        first, _, last = (part.strip() for part in words.partition(".."))
        return between(parse_day(first), parse_day(last), tz)
    day = parse_day(words)
    return between(day, day, tz)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text) if len(text) == 10 else _not_a_period(text)
    except ValueError:
        return _not_a_period(text)


def _not_a_period(text: str) -> date:
    raise InputError(f"{text!r} is not a period: {HOW}")
