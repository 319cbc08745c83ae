"""Who is loyal and who is drifting away: RFM segments, tag counts and the churn-risk
list, each one query over the customer's running figures or the orders.

Scores use fixed thresholds chosen for a small shop rather than quintiles: quintiles
shift whenever the customer base does (a customer's segment would change without
anything happening to them) and need window functions whose ties SQLite and PostgreSQL
break differently. Fixed thresholds give the same answer on both stores, every time.

    R  days since the last order   5: ≤30  4: ≤60  3: ≤120  2: ≤240  1: more
    F  orders (cancelled excluded) 5: ≥8   4: 5–7  3: 3–4   2: 2    1: 1
    M  total spent (Rp)            5: ≥2jt 4: ≥1jt 3: ≥500rb 2: ≥200rb 1: less

Segments, the first rule that matches wins:

    champions           R ≥ 4 and F ≥ 4
    loyal               R ≥ 3 and F ≥ 3
    new                 R ≥ 4 and F = 1
    potential_loyalist  R ≥ 3 (the rest: one or two orders, recently)
    cant_lose           R ≤ 2 and (F ≥ 4 or M ≥ 4): bought much, gone quiet
    at_risk             R = 2 and F ≥ 2
    hibernating         R = 2 (one order) or R = 1 with two or three orders
    lost                everyone else: one order, long ago

Customers who never ordered, and merged-away records, are in no segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_core.errors import InputError
from crm_core.insight.report_sql import Sql

SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)
RECENCY_DAYS = (30, 60, 120, 240)  # scores 5, 4, 3, 2; older is 1
FREQUENCY_ORDERS = (8, 5, 3, 2)  # scores 5, 4, 3, 2; one order is 1
MONETARY_RUPIAH = (2_000_000, 1_000_000, 500_000, 200_000)
PAGE_SIZE = 20
ID_BATCH = 10_000
CHURN_LIMIT = 50
# Cancelled orders are not sales; the running figures on the customer already leave
# them out (they are recomputed when an order is cancelled).
CANCELLED = "batal"


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    orders_count: int
    total_spent: int
    last_order_at: datetime | None


@dataclass(frozen=True)
class Page:
    segment: str
    members: list[Member]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class ChurnRisk:
    id: int
    name: str
    orders_count: int
    usual_gap_days: float  # the average gap between their orders
    days_since: float  # since their last order


def check_segment(name: str) -> str:
    """The segment's machine name; InputError naming the known ones otherwise."""
    key = name.strip().casefold().replace(" ", "_").replace("'", "").replace("-", "_")
    if key not in SEGMENTS:
        raise InputError("segment_unknown", name=name, known=", ".join(SEGMENTS))
    return key


def _score(column: str, thresholds: tuple[int, ...]) -> str:
    arms = " ".join(f"WHEN {column} >= {limit} THEN {5 - i}" for i, limit in enumerate(thresholds))
    return f"(CASE {arms} ELSE 1 END)"


def segment_sql(sql: Sql, now: datetime, alias: str = "c") -> str:
    """The CASE expression naming a customer row's segment as of ``now``."""
    # Recency compares times with fixed cut-offs computed here, so the store needs no
    # date arithmetic and the last_order_at index serves.
    cutoffs = [sql.p(now - timedelta(days=days)) for days in RECENCY_DAYS]
    arms = " ".join(
        f"WHEN {alias}.last_order_at >= {c} THEN {5 - i}" for i, c in enumerate(cutoffs)
    )
    r = f"(CASE {arms} ELSE 1 END)"
    f = _score(f"{alias}.orders_count", FREQUENCY_ORDERS)
    m = _score(f"{alias}.total_spent", MONETARY_RUPIAH)
    return (
        "CASE "
        f"WHEN {r} >= 4 AND {f} >= 4 THEN 'champions' "
        f"WHEN {r} >= 3 AND {f} >= 3 THEN 'loyal' "
        f"WHEN {r} >= 4 AND {f} = 1 THEN 'new' "
        f"WHEN {r} >= 3 THEN 'potential_loyalist' "
        f"WHEN {f} >= 4 OR {m} >= 4 THEN 'cant_lose' "
        f"WHEN {r} = 2 AND {f} >= 2 THEN 'at_risk' "
        f"WHEN {r} = 2 OR {f} >= 2 THEN 'hibernating' "
        "ELSE 'lost' END"
    )


_SEGMENTED = "c.merged_into_id IS NULL AND c.orders_count > 0 AND c.last_order_at IS NOT NULL"


async def segment_sizes(now: datetime) -> dict[str, int]:
    """How many customers each segment holds as of ``now``, every segment listed."""
    sql = Sql()
    rows = await sql.rows(
        f"SELECT {segment_sql(sql, now)} AS segment, COUNT(*) AS n FROM customer c "
        f"WHERE {_SEGMENTED} GROUP BY 1"
    )
    found = {row["segment"]: int(row["n"]) for row in rows}
    return {name: found.get(name, 0) for name in SEGMENTS}


async def segment_of(customer_ids: list[int], now: datetime) -> dict[int, str]:
    """Each customer's segment as of ``now``; customers in none are left out."""
    found: dict[int, str] = {}
    # Both stores cap a statement's parameters (about 32,000): ask in batches.
    for first in range(0, len(customer_ids), ID_BATCH):
        sql = Sql()
        ids = ", ".join(sql.p(int(i)) for i in customer_ids[first : first + ID_BATCH])
        rows = await sql.rows(
            f"SELECT c.id, {segment_sql(sql, now)} AS segment FROM customer c "
            f"WHERE {_SEGMENTED} AND c.id IN ({ids})"
        )
        found.update((int(row["id"]), row["segment"]) for row in rows)
    return found


async def in_segment(segment: str, now: datetime) -> list[int]:
    """The ids of every customer in ``segment`` as of ``now``: what a campaign targets."""
    sql = Sql()
    rows = await sql.rows(
        f"SELECT c.id FROM customer c WHERE {_SEGMENTED} "
        f"AND {segment_sql(sql, now)} = {sql.p(check_segment(segment))} ORDER BY c.id"
    )
    return [int(row["id"]) for row in rows]


async def members(segment: str, now: datetime, page: int = 1, size: int = PAGE_SIZE) -> Page:
    """One page of a segment's customers, biggest spenders first."""
    name = check_segment(segment)
    if page < 1:
        raise InputError("page_below_one")
    sql = Sql()
    where = f"{_SEGMENTED} AND {segment_sql(sql, now)} = {sql.p(name)}"
    counted = await sql.rows(f"SELECT COUNT(*) AS n FROM customer c WHERE {where}")
    total = int(counted[0]["n"])
    rows = await sql.rows(
        "SELECT c.id, c.name, c.display_name, c.orders_count, c.total_spent, c.last_order_at "
        f"FROM customer c WHERE {where} ORDER BY c.total_spent DESC, c.id "
        f"LIMIT {int(size)} OFFSET {(page - 1) * int(size)}"
    )
    found = [
        Member(
            int(r["id"]),
            r["name"] or r["display_name"] or f"#{r['id']}",
            int(r["orders_count"]),
            int(r["total_spent"]),
            _moment(r["last_order_at"]),
        )
        for r in rows
    ]
    return Page(name, found, total, page, max(1, -(-total // size)))


async def churn_risk(now: datetime, tz: ZoneInfo, limit: int = CHURN_LIMIT) -> list[ChurnRisk]:
    """Customers with two orders or more, now longer without ordering than their own
    average gap between orders: most overdue (relative to their habit) first. Nobody
    who ordered today (the shop's day, in ``tz``) is overdue: two orders an hour apart
    make a habit of an hour, and the owner would be told to chase a customer who has
    just bought."""
    sql = Sql()
    now_p = sql.p(now)
    today = sql.p(datetime.combine(now.astimezone(tz).date(), time(), tz))
    gap = f"{sql.days('MAX(o.created_at)', 'MIN(o.created_at)')} / (COUNT(*) - 1)"
    since = sql.days(now_p, "MAX(o.created_at)")
    # Grouped by the order's customer column alone, the inner query reads only the
    # (customer, status, time) index; customers are looked up for the few that qualify.
    # Grouping by the customer's columns made SQLite walk the table instead (14x slower
    # at 1,000,000 orders, bench/report.py).
    rows = await sql.rows(
        "SELECT c.id, c.name, c.display_name, g.n, g.gap, g.since FROM ("
        f"SELECT o.customer_id, COUNT(*) AS n, {gap} AS gap, {since} AS since "
        f'FROM "order" o WHERE o.status <> {sql.p(CANCELLED)} AND o.created_at <= {now_p} '
        f"GROUP BY o.customer_id HAVING COUNT(*) >= 2 AND MAX(o.created_at) < {today}) g "
        "JOIN customer c ON c.id = g.customer_id "
        "WHERE c.merged_into_id IS NULL AND g.since > g.gap "
        f"ORDER BY g.since / (g.gap + 1) DESC, c.id LIMIT {int(limit)}"
    )
    return [
        ChurnRisk(
            int(r["id"]),
            r["name"] or r["display_name"] or f"#{r['id']}",
            int(r["n"]),
            round(float(r["gap"]), 1),
            round(float(r["since"]), 1),
        )
        for r in rows
    ]


async def tag_counts() -> dict[str, int]:
    """How many customers carry each tag, most used first."""
    sql = Sql()
    rows = await sql.rows(
        "SELECT t.name, COUNT(*) AS n FROM customer_tag t JOIN customer c ON c.id = t.customer_id "
        "WHERE c.merged_into_id IS NULL GROUP BY t.name ORDER BY n DESC, t.name"
    )
    return {row["name"]: int(row["n"]) for row in rows}


def _moment(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
