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


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> tuple[datetime, str]:
    """The moment ``text`` begins with, and the rest of the text after it. Raises
    InputError for what is not a time or lies in the past."""
    words = text.split()
    if not words:
        raise InputError("say when: 3d, 2h, besok 10:00 or 2026-12-01")
    local_now = now.astimezone(tz)
    first, rest = words[0].casefold(), words[1:]
    moment: datetime | None = None
    if match := _RELATIVE.match(first):
        moment = now + timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    elif first in _DAYS_AHEAD or _is_date(first):
        day = (
            local_now.date() + timedelta(days=_DAYS_AHEAD[first])
            if first in _DAYS_AHEAD
            else date.fromisoformat(first[:10])
        )
        at, rest = MORNING, rest
        if "t" in first and len(first) > 10:  # 2026-12-01T14:30
            at = _clock(first[11:])
        elif rest and _CLOCK.match(rest[0]):
            at, rest = _clock(rest[0]), rest[1:]
        moment = datetime.combine(day, at, tz)
    if moment is None:
        raise InputError(f"{words[0]!r} is not a time: say 3d, 2h, besok 10:00 or 2026-12-01")
    if moment <= now:
        raise InputError("that time has already passed")
    return moment, " ".join(rest)


def _is_date(word: str) -> bool:
    try:
        date.fromisoformat(word[:10])
    except ValueError:
        return False
    return len(word) == 10 or (len(word) > 11 and word[10] == "t")


def _clock(text: str) -> time:
    match = _CLOCK.match(text)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise InputError(f"{text!r} is not a time of day such as 10:00")
    return time(int(match.group(1)), int(match.group(2)))
