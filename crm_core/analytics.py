"""What sold, where, to whom, over a period: every figure is one aggregate query in the
store (cancelled orders left out), never a walk over the rows in Python.

Days, weeks and months are the shop's own (LANGGAN_TIMEZONE): orders are grouped by
their local calendar day in SQL, and the few hundred daily sums are rolled up into
weeks (Monday first) and months here. Cities are where orders were shipped; sources,
gender and age band are what the customer told us ("" when unknown)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from crm_core.periods import Period
from crm_core.raw_sql import Sql, as_date
from crm_core.segments import CANCELLED, churn_risk, segment_sizes, tag_counts
from crm_core.segments import ChurnRisk as ChurnRisk

TOP = 5  # best and worst products shown


@dataclass(frozen=True)
class Sales:
    """One line of a breakdown: a product, a colour, a city, a week..."""

    label: str
    orders: int = 0
    quantity: int = 0
    buyers: int = 0
    revenue: int = 0


@dataclass(frozen=True)
class Source:
    source: str
    leads: int  # customers who first wrote in the period
    first_orders: int  # customers whose first order fell in the period


@dataclass
class Report:
    period: Period
    now: datetime
    orders: int = 0
    revenue: int = 0
    buyers: int = 0
    new_buyers: int = 0  # their first order ever was in the period
    repeat_buyers: int = 0  # two orders or more within the period
    products: list[Sales] = field(default_factory=list)  # by revenue, best first
    colours: list[Sales] = field(default_factory=list)
    sizes: list[Sales] = field(default_factory=list)
    days: list[Sales] = field(default_factory=list)
    weeks: list[Sales] = field(default_factory=list)
    months: list[Sales] = field(default_factory=list)
    cities: list[Sales] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    genders: list[Sales] = field(default_factory=list)
    age_bands: list[Sales] = field(default_factory=list)
    segments: dict[str, int] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)
    churn: list[ChurnRisk] = field(default_factory=list)

    @property
    def average_order(self) -> int:
        return round(self.revenue / self.orders) if self.orders else 0

    @property
    def returning_buyers(self) -> int:
        return self.buyers - self.new_buyers

    @property
    def repeat_rate(self) -> float:
        """The share of the period's buyers who ordered twice or more in it."""
        return self.repeat_buyers / self.buyers if self.buyers else 0.0

    @property
    def best(self) -> list[Sales]:
        return self.products[:TOP]

    @property
    def worst(self) -> list[Sales]:
        return list(reversed(self.products[-TOP:])) if len(self.products) > TOP else []


def _in_period(sql: Sql, period: Period, alias: str = "o") -> str:
    return (
        f"{alias}.created_at >= {sql.p(period.start)} AND {alias}.created_at < {sql.p(period.end)} "
        f"AND {alias}.status <> {sql.p(CANCELLED)}"
    )


async def build_report(period: Period, now: datetime) -> Report:
    """Every figure for ``period``, and the segments and churn list as of ``now``."""
    report = Report(period, now)
    await _totals(report)
    report.products = await _items(period, "i.product_name")
    report.colours = await _items(period, "COALESCE(i.colour, '')")
    report.sizes = await _items(period, "COALESCE(i.size, '')")
    report.days = await _days(period)
    report.weeks = _roll_up(report.days, _week_start)
    report.months = _roll_up(report.days, lambda day: day.replace(day=1))
    report.cities = await _by_order(period, "o.ship_city")
    report.genders = await _by_order(period, "COALESCE(c.gender, '')")
    report.age_bands = await _by_order(period, "COALESCE(c.age_band, '')")
    report.sources = await _sources(period)
    report.segments = await segment_sizes(now)
    report.tags = await tag_counts()
    report.churn = await churn_risk(now)
    return report


async def _totals(report: Report) -> None:
    sql = Sql()
    start = sql.p(report.period.start)
    rows = await sql.rows(
        "SELECT COUNT(*) AS buyers, COALESCE(SUM(b.n), 0) AS orders, "
        "COALESCE(SUM(b.spent), 0) AS revenue, "
        "COALESCE(SUM(CASE WHEN b.n >= 2 THEN 1 ELSE 0 END), 0) AS repeat_buyers, "
        f"COALESCE(SUM(CASE WHEN c.first_order_at >= {start} THEN 1 ELSE 0 END), 0) AS new_buyers "
        "FROM (SELECT o.customer_id, COUNT(*) AS n, SUM(o.total) AS spent "
        f'FROM "order" o WHERE {_in_period(sql, report.period)} GROUP BY o.customer_id) b '
        "JOIN customer c ON c.id = b.customer_id"
    )
    row = rows[0]
    report.buyers, report.orders = int(row["buyers"]), int(row["orders"])
    report.revenue, report.repeat_buyers = int(row["revenue"]), int(row["repeat_buyers"])
    report.new_buyers = int(row["new_buyers"])


async def _items(period: Period, label: str) -> list[Sales]:
    sql = Sql()
    rows = await sql.rows(
        f"SELECT {label} AS label, COUNT(DISTINCT o.id) AS orders, SUM(i.quantity) AS quantity, "
        "COUNT(DISTINCT o.customer_id) AS buyers, SUM(i.quantity * i.unit_price) AS revenue "
        'FROM order_item i JOIN "order" o ON o.id = i.order_id '
        f"WHERE {_in_period(sql, period)} GROUP BY {label} "
        "ORDER BY revenue DESC, quantity DESC, label"
    )
    return [_sales(row) for row in rows]


async def _by_order(period: Period, label: str) -> list[Sales]:
    sql = Sql()
    rows = await sql.rows(
        f"SELECT {label} AS label, COUNT(*) AS orders, 0 AS quantity, "
        "COUNT(DISTINCT o.customer_id) AS buyers, SUM(o.total) AS revenue "
        'FROM "order" o JOIN customer c ON c.id = o.customer_id '
        f"WHERE {_in_period(sql, period)} GROUP BY {label} ORDER BY revenue DESC, label"
    )
    return [_sales(row) for row in rows]


async def _days(period: Period) -> list[Sales]:
    sql = Sql()
    day = sql.local_date("o.created_at", period.tz, period.start, period.end)
    rows = await sql.rows(
        f"SELECT {day} AS label, COUNT(*) AS orders, 0 AS quantity, "
        "COUNT(DISTINCT o.customer_id) AS buyers, SUM(o.total) AS revenue "
        f'FROM "order" o WHERE {_in_period(sql, period)} GROUP BY 1 ORDER BY 1'
    )
    return [_sales({**row, "label": as_date(row["label"]).isoformat()}) for row in rows]


async def _sources(period: Period) -> list[Source]:
    sql = Sql()
    start, end = sql.p(period.start), sql.p(period.end)
    created = f"c.created_at >= {start} AND c.created_at < {end}"
    first_order = f"c.first_order_at >= {start} AND c.first_order_at < {end}"
    rows = await sql.rows(
        "SELECT COALESCE(c.lead_source, '') AS source, "
        f"SUM(CASE WHEN {created} THEN 1 ELSE 0 END) AS leads, "
        f"SUM(CASE WHEN {first_order} THEN 1 ELSE 0 END) AS first_orders "
        "FROM customer c WHERE c.merged_into_id IS NULL "
        f"AND (({created}) OR ({first_order})) "
        "GROUP BY 1 ORDER BY 3 DESC, 2 DESC, 1"
    )
    return [Source(r["source"], int(r["leads"]), int(r["first_orders"])) for r in rows]


def _sales(row: dict[str, Any]) -> Sales:
    return Sales(
        str(row["label"]),
        int(row["orders"] or 0),
        int(row["quantity"] or 0),
        int(row["buyers"] or 0),
        int(row["revenue"] or 0),
    )


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _roll_up(days: list[Sales], bucket: Callable[[date], date]) -> list[Sales]:
    """Daily sums into coarser buckets. Buyers are not summed: someone who bought on two
    days of one week is one buyer, and only the store could say so, so 0 here."""
    sums: dict[date, list[int]] = {}
    for day in days:
        key = bucket(date.fromisoformat(day.label))
        total = sums.setdefault(key, [0, 0])
        total[0] += day.orders
        total[1] += day.revenue
    return [Sales(key.isoformat(), n, 0, 0, revenue) for key, (n, revenue) in sorted(sums.items())]
