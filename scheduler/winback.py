"""Who is due a win-back, and what it says. A customer is due once per dormant spell:
from the day their last order is the campaign's number of days old, however long ago
that was (a customer imported with a last order 200 days back is due at once), until a
win-back is sent. A new order starts a new spell. With two win-back campaigns (60 and
180 days, say) the longer one goes first, and a customer it reached is not sent the
shorter one as well: the customer's ``winback_days`` says how far the spell has been
answered, and the sweep's dedupe key (one per spell) stays the guarantee.

The due are read most recently lapsed first, and at most the campaign's ``per_day`` are
sent in any 24 hours: the day a shop starts, or imports its old customers, everyone who
has been quiet for months is due at once, and they are reached over days instead of in
one burst (which WhatsApp reads as spam, and which would bury the team in replies)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.functions import Count

from crm_core.insight.report_sql import Sql
from crm_core.models import Contact, Customer, Order, OrderItem
from scheduler.campaigns import Campaign

DAY = timedelta(hours=24)


@dataclass
class Allowance:
    """How many more of a campaign's messages may go out in this sweep."""

    left: int

    def page(self, size: int) -> int:
        return max(0, min(size, self.left))

    def spend(self, sent: int) -> None:
        self.left -= sent


async def allowance(campaign: Campaign, now: datetime) -> Allowance | None:
    """What is left of the campaign's daily limit (None: it has none). Counted from the
    contacts it made in the last 24 hours, so a restart or a second instance starts
    from the same count (two instances sweeping the same moment may each use it once)."""
    if campaign.daily_limit is None:
        return None
    sent = await Contact.filter(by=f"campaign:{campaign.name}", at__gt=now - DAY).count()
    return Allowance(campaign.daily_limit - sent)


async def dormant(
    campaign: Campaign, now: datetime, size: Callable[[], int]
) -> AsyncIterator[list[Customer]]:
    """The customers due the campaign's win-back, most recently lapsed first, a page of
    ``size()`` at a time (0 ends it). Those already won back this spell are passed over
    in the (last order, win-back) index; left out too are those it cannot reach now
    (their own no, or no chat to reach them in), not to be listed at every sweep."""
    edge = now - timedelta(days=campaign.every)
    after: tuple[Any, int] | None = None  # the last (last_order_at, id) read
    while (wanted := size()) > 0:
        sql = Sql()
        upto = sql.p(edge if after is None else after[0])
        later = "" if after is None else f"AND (c.last_order_at < {upto} OR c.id < {after[1]}) "
        rows = await sql.rows(
            "SELECT c.id, c.last_order_at FROM customer c "
            f"WHERE c.last_order_at <= {upto} {later}AND c.winback_days < {int(campaign.every)} "
            f"AND c.merged_into_id IS NULL AND c.blacklisted = {sql.p(False)} "
            f"AND c.opted_out_at IS NULL AND c.consent_marketing = {sql.p(True)} "
            "AND c.erased_at IS NULL AND EXISTS (SELECT 1 FROM conversation v "
            "WHERE v.customer_id = c.id AND v.last_inbound_at IS NOT NULL "
            "AND v.channel <> 'terminal') "
            f"ORDER BY c.last_order_at DESC, c.id DESC LIMIT {int(wanted)}"
        )
        if not rows:
            return
        found = {c.id: c for c in await Customer.filter(id__in=[int(r["id"]) for r in rows])}
        yield [found[int(r["id"])] for r in rows if int(r["id"]) in found]
        if len(rows) < wanted:
            return
        after = (rows[-1]["last_order_at"], int(rows[-1]["id"]))


async def contexts(
    customers: list[Customer], suggestions: dict[frozenset[str], str | None]
) -> dict[int, dict[str, Any]]:
    """For each dormant customer, what they bought last, and one recommendation: what
    customers who bought the same also bought, else the shop's best seller. Their last
    orders are read for the whole batch at once, and a recommendation is worked out once
    per set of products bought (``suggestions`` keeps them for the sweep)."""
    last: dict[int, Order] = {}
    moments = list({c.last_order_at for c in customers if c.last_order_at is not None})
    orders = (
        await Order.filter(customer_id__in=[c.id for c in customers], created_at__in=moments)
        .exclude(status="batal")
        .order_by("created_at", "id")
        .prefetch_related("items")
    )
    for order in orders:
        last[order.customer_id] = order  # type: ignore[attr-defined]  # the latest wins
    found = {}
    for c in customers:
        items = list(last[c.id].items) if c.id in last else []
        names = frozenset(i.product_name for i in items)
        bought = {i.product_id for i in items if i.product_id is not None}  # type: ignore[attr-defined]
        if names not in suggestions:
            suggestions[names] = await _suggestion(c.id, bought, names)
        found[c.id] = {"bought": sorted(names), "suggestion": suggestions[names]}
    return found


async def _suggestion(customer_id: int, bought: set[int], names: frozenset[str]) -> str | None:
    suggestion = None
    if bought:
        # Other customers who bought the same products, and everything they bought.
        buyers = (
            await Order.filter(items__product_id__in=list(bought))
            .exclude(customer_id=customer_id)
            .limit(500)
            .values_list("customer_id", flat=True)
        )
        their_orders = (
            await Order.filter(customer_id__in=list(set(buyers)))
            .exclude(status="batal")
            .limit(2000)
            .values_list("id", flat=True)
        )
        suggestion = await _most_bought([int(o) for o in their_orders], set(names))  # type: ignore[call-overload]
    if suggestion is None:
        suggestion = await _most_bought(None, set(names))
    return suggestion


async def _most_bought(order_ids: list[int] | None, exclude: set[str]) -> str | None:
    query = OrderItem.all() if order_ids is None else OrderItem.filter(order_id__in=order_ids)
    rows = (
        await query.exclude(product_name__in=list(exclude) or [""])
        .annotate(n=Count("id"))
        .group_by("product_name")
        .order_by("-n", "product_name")
        .limit(1)
        .values_list("product_name", flat=True)
    )
    return str(rows[0]) if rows else None
