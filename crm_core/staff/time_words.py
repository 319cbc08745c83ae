"""Reading when, as agents write it: ``3d``, ``2h``, ``30m``, ``besok 10:00``, ``lusa``,
``2026-12-01`` or ``2026-12-01 14:30``, in the shop's time zone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_core.errors import InputError

MORNING = time(9, 0)  # a day without a time means the start of the working day
_RELATIVE = re.compile(r"^(\d{1,3})([mhdw])$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_CLOCK = re.compile(r"^(\d{1,2})[:.](\d{2})$")
_DAYS_AHEAD = {"besok": 1, "tomorrow": 1, "lusa": 2}


_UNIT_WORDS = {
    "menit": "minutes", "mnt": "minutes", "minute": "minutes", "minutes": "minutes",
    "jam": "hours", "hour": "hours", "hours": "hours",
    "hari": "days", "day": "days", "days": "days",
    "minggu": "weeks", "pekan": "weeks", "week": "weeks", "weeks": "weeks",
}  # fmt: skip
_WEEKDAYS = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "sabtu": 5,
    "minggu": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6,
}  # fmt: skip
_PARTS_OF_DAY = {
    "pagi": time(9, 0), "morning": time(9, 0), "siang": time(13, 0), "noon": time(12, 0),
    "afternoon": time(14, 0), "sore": time(16, 0), "malam": time(19, 0),
    "evening": time(19, 0), "tonight": time(19, 0),
}  # fmt: skip


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> tuple[datetime, str]:
    """The moment ``text`` begins with, and the rest of the text after it. Raises
    InputError for what is not a time or lies in the past."""
    words = text.split()
    if not words:
        raise InputError("when_missing")
    local_now = now.astimezone(tz)
    first, rest = words[0].casefold(), words[1:]
    second = rest[0].casefold() if rest else ""
    moment: datetime | None = None
    if match := _RELATIVE.match(first):
        moment = now + timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    elif first.isdecimal() and len(first) <= 3 and second in _UNIT_WORDS:  # "3 hari"
        moment = now + timedelta(**{_UNIT_WORDS[second]: int(first)})
        rest = rest[1:]
        if rest and rest[0].casefold() in ("lagi", "later", "from now"):  # "3 hari lagi"
            rest = rest[1:]
    elif (day_and_rest := _day(words, local_now.date())) is not None:
        day, rest = day_and_rest
        at = MORNING
        if rest and rest[0].casefold() in _PARTS_OF_DAY:  # "besok pagi"
            at, rest = _PARTS_OF_DAY[rest[0].casefold()], rest[1:]
        if rest and _CLOCK.match(rest[0]):  # "besok 10:00", "besok pagi 08:30"
            at, rest = _clock(rest[0]), rest[1:]
        elif "t" in first and len(first) > 10 and _is_date(first):  # 2026-12-01T14:30
            at = _clock(first[11:])
        moment = datetime.combine(day, at, tz)
    if moment is None:
        raise InputError("when_unreadable", text=words[0])
    if moment <= now:
        raise InputError("when_past")
    return moment, " ".join(rest)


def _day(words: list[str], today: date) -> tuple[date, list[str]] | None:
    """The day the words begin with, and the words after it: besok, lusa, hari ini, a
    weekday (the next one), a date (2026-12-01, 01/12/2026)."""
    from crm_core.insight.periods import parse_day

    first = words[0].casefold()
    rest = words[1:]
    if first in _DAYS_AHEAD:
        return today + timedelta(days=_DAYS_AHEAD[first]), rest
    if first == "today" or (first == "hari" and rest and rest[0].casefold() == "ini"):
        return today, rest if first == "today" else rest[1:]
    if first in ("nanti", "tonight") and rest and rest[0].casefold() in _PARTS_OF_DAY:
        return today, rest  # "nanti sore"
    if first in _WEEKDAYS:
        ahead = (_WEEKDAYS[first] - today.weekday() - 1) % 7 + 1  # the next one, not today
        return today + timedelta(days=ahead), rest
    if _is_date(first):
        return date.fromisoformat(first[:10]), rest
    try:
        return parse_day(first), rest
    except InputError:
        return None


def _is_date(word: str) -> bool:
    try:
        date.fromisoformat(word[:10])
    except ValueError:
        return False
    return len(word) == 10 or (len(word) > 11 and word[10] == "t")


def _clock(text: str) -> time:
    match = _CLOCK.match(text)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise InputError("clock_unreadable", text=text)
    return time(int(match.group(1)), int(match.group(2)))
