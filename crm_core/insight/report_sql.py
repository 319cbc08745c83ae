"""Report queries written once for both stores: numbered placeholders, timestamps as each
store keeps them, day arithmetic, and local calendar days for any time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from crm_core.models import Customer
from crm_core.store import plan_for_own_values


class Sql:
    """One statement's parameters. Placeholders are numbered (``?1`` on SQLite, ``$1`` on
    PostgreSQL), so a fragment holding a parameter may appear twice in the text."""

    def __init__(self, connection: BaseDBAsyncClient | None = None) -> None:
        self.connection = connection or Customer._meta.db
        self.postgres = self.connection.capabilities.dialect == "postgres"
        self.params: list[Any] = []

    def p(self, value: Any) -> str:
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
            if not self.postgres:
                # Tortoise writes UTC times on SQLite as text in this form; equal forms
                # compare correctly as text, so the indexes on time columns still serve.
                value = value.isoformat(sep=" ")
        self.params.append(value)
        number = len(self.params)
        if not self.postgres:
            return f"?{number}"
        return f"${number}::timestamptz" if isinstance(value, datetime) else f"${number}"

    def days(self, later: str, earlier: str) -> str:
        """Days (with fraction) from ``earlier`` to ``later``, two timestamp expressions."""
        if self.postgres:
            return f"(EXTRACT(EPOCH FROM ({later}) - ({earlier})) / 86400.0)"
        return f"(julianday({later}) - julianday({earlier}))"

    def local_date(self, column: str, tz: ZoneInfo, start: datetime, end: datetime) -> str:
        """The calendar day in ``tz`` of a UTC timestamp column, for rows between
        ``start`` and ``end``. The zone's offsets over that span (more than one where it
        keeps daylight saving) become one CASE, so both stores shift by exactly the
        offsets Python's zoneinfo gives: the same days on both."""
        spans = offsets(tz, start, end)
        shift = str(spans[-1][1])
        for boundary, seconds in reversed(spans[:-1]):
            shift = f"CASE WHEN {column} < {self.p(boundary)} THEN {seconds} ELSE {shift} END"
        if self.postgres:
            return f"CAST(({column} AT TIME ZONE 'UTC') + ({shift}) * INTERVAL '1 second' AS DATE)"
        return f"date({column}, ({shift}) || ' seconds')"

    async def rows(self, statement: str) -> list[dict[str, Any]]:
        if not self.postgres:
            _, found = await self.connection.execute_query(statement, self.params)
            return [dict(row) for row in found]
        # The same statement reads a month one time and the whole history the next: a
        # plan kept from earlier runs could walk an index over every order.
        async with in_transaction(self.connection.connection_name) as db:
            await plan_for_own_values(db)
            _, found = await db.execute_query(statement, self.params)
        return [dict(row) for row in found]


def as_date(value: Any) -> date:
    """A day as the store returns it: a date on PostgreSQL, ``YYYY-MM-DD`` on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def offsets(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """``[(until, seconds), ..., (end, seconds)]``: the zone's UTC offset in seconds over
    [start, end), each with the UTC moment it stops applying (the last one: ``end``)."""

    def offset(moment: datetime) -> int:
        delta = moment.astimezone(tz).utcoffset() or timedelta(0)
        return int(delta.total_seconds())

    spans: list[tuple[datetime, int]] = []
    moment, current = start, offset(start)
    step = timedelta(hours=6)  # no zone changes its offset twice within six hours
    while moment < end:
        following = min(moment + step, end)
        if offset(following) != current and following < end:
            low, high = moment, following  # find the change to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            spans.append((high, current))
            current = offset(high)
            moment = high
            continue
        moment = following
    spans.append((end, current))
    return spans
