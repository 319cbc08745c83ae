"""Placing orders and reading them back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F
from tortoise.functions import Coalesce

from crm_core.customers.cities import normalise_city
from crm_core.errors import InputError
from crm_core.models import Customer, InvoiceSeries, Order, OrderItem, OrderStatusChange
from crm_core.sales.catalog import MAX_QUANTITY, OrderLine


@dataclass(frozen=True)
class Shipping:
    name: str
    address: str
    city: str
    phone: str | None
    city_typed: str | None = None  # the city as the customer typed it, when known


async def place_order(
    customer: Customer,
    lines: list[OrderLine],
    shipping: Shipping,
    channel: str,
    now: datetime,
    *,
    by: str = "customer",
    shipping_fee: int | None = None,
    series: str | None = None,
) -> Order:
    """Write the order, its items and its first status, and bring the customer's running
    figures up to date. Call inside the caller's transaction: all of it or none of it."""
    if not lines:
        raise InputError("order_empty")
    for line in lines:
        if not line.complete or not 1 <= (line.quantity or 0) <= MAX_QUANTITY:
            raise InputError("order_line_incomplete", product=line.product.name)
    total = sum(line.total for line in lines)
    order = await Order.create(
        number=await next_number(series) if series else None,
        customer=customer,
        status="baru",
        channel=channel,
        total=total,
        shipping_fee=shipping_fee,
        ship_name=shipping.name,
        ship_phone=shipping.phone,
        ship_address=shipping.address,
        ship_city=normalise_city(shipping.city) or "",
        ship_city_typed=shipping.city_typed or shipping.city or None,
        created_at=now,
        updated_at=now,
    )
    await OrderItem.bulk_create(
        [
            OrderItem(
                order=order,
                product_id=line.product.id,
                product_name=line.product.name,
                unit_price=line.product.price,
                quantity=line.quantity,
                colour=line.colour,
                size=line.size,
            )
            for line in lines
        ]
    )
    await OrderStatusChange.create(order=order, status="baru", by=by, at=now)
    # Increments in the store, not absolute values from this object: two chats of one
    # person ordering at the same moment both count.
    await Customer.filter(id=customer.id).update(
        orders_count=F("orders_count") + 1,
        total_spent=F("total_spent") + total,
        first_order_at=Coalesce(F("first_order_at"), now),
        last_order_at=now,
        winback_days=0,  # a new order ends a dormant spell
    )
    customer.orders_count += 1
    customer.total_spent += total
    customer.first_order_at = customer.first_order_at or now
    customer.last_order_at = now
    customer.winback_days = 0
    return order


async def next_number(series: str) -> str:
    """The next invoice number in ``series`` (``INV-2026-`` -> ``INV-2026-0001``), by
    one update of the series' row (see ``InvoiceSeries``). The first order of a new
    series creates the row; two at once meet its primary key, and the loser's whole
    transaction is tried again."""
    # One statement for the usual case: the update returns the number it gave (SQLite
    # 3.35+ and PostgreSQL). execute_query_dict, as Tortoise's execute_query keeps no
    # rows of an UPDATE on PostgreSQL.
    db = InvoiceSeries._meta.db
    mark = "$1" if db.capabilities.dialect == "postgres" else "?"
    rows = await db.execute_query_dict(
        f"UPDATE invoice_series SET issued = issued + 1 WHERE series = {mark} RETURNING issued",
        [series],
    )
    if rows:
        issued = int(rows[0]["issued"])
    else:
        issued = (await InvoiceSeries.create(series=series, issued=1)).issued
    return f"{series}{issued:04d}"


_NUMBER = re.compile(r"[a-z]{1,8}[-/.]?(?:\d{2,4}[-/.])?\d{1,9}", re.IGNORECASE)


async def find_order(reference: str, customer_id: int | None = None) -> Order | None:
    """The order named ``reference``: its id (``12``, ``#12``), its invoice number
    (``INV-2026-0001``, any case) or the sheet's own number; only the customer's own
    when ``customer_id`` is given. A sheet's number two orders share is refused."""
    text = reference.strip().lstrip("#").strip()
    mine = Order.filter(customer_id=customer_id) if customer_id is not None else Order.all()
    if text.isdecimal() and len(text) <= 9:
        found = await mine.filter(id=int(text)).select_related("customer").first()
        if found is not None:
            return found
    if not _NUMBER.fullmatch(text) and not text.isdecimal():
        return None
    # Langgan's own number first; then the sheet's, which two imports may share.
    found = await mine.filter(number__iexact=text).select_related("customer").first()
    if found is not None:
        return found
    matches = await mine.filter(external_ref__iexact=text).limit(2).select_related("customer")
    if len(matches) > 1:
        raise InputError("order_ref_ambiguous", reference=text)
    return matches[0] if matches else None


# Where an order may go next. Completed and cancelled orders are final.
NEXT_STATUSES = {
    "baru": ("dibayar", "dikirim", "selesai", "batal"),
    "dibayar": ("dikirim", "selesai", "batal"),
    "dikirim": ("selesai", "batal"),
    "selesai": (),
    "batal": (),
}


async def change_status(
    order_id: int, status: str, now: datetime, *, by: str, unless_claimed: bool = False
) -> Order:
    """Move an order on, recording the change; a cancellation takes the order out of
    the customer's running figures."""
    from crm_core.customers.records import RUNNING_FIGURES, recount_orders

    if status not in NEXT_STATUSES:
        raise InputError("status_unknown", status=status, known=", ".join(NEXT_STATUSES))
    order = await Order.filter(id=order_id).select_related("customer").first()
    if order is None:
        raise InputError("order_not_found", reference=f"#{order_id}")
    if status not in NEXT_STATUSES[order.status]:
        raise InputError("status_not_next", id=order_id, status=order.status, wanted=status)
    # Conditional on the status just read: two agents moving one order at once cannot
    # both succeed.
    unchanged = Order.filter(id=order_id, status=order.status)
    if unless_claimed:  # the clock's cancel loses to a receipt sent the same moment
        unchanged = unchanged.filter(payment_claimed_at__isnull=True)
    moved = await unchanged.update(status=status, updated_at=now)
    if not moved:
        raise InputError("order_changed_meanwhile", id=order_id)
    order.status, order.updated_at = status, now
    await OrderStatusChange.create(order=order, status=status, by=by, at=now)
    if status == "batal":
        from crm_core.sales.stock import release

        await release(order.id, now)
        customer = order.customer
        await recount_orders(customer)
        await customer.save(update_fields=sorted(RUNNING_FIGURES))
    return order


MAX_COURIER = 40
MAX_TRACKING = 64


async def ship(order: Order, courier: str, tracking: str, now: datetime, *, by: str) -> Order:
    """The parcel left: record its courier and tracking number and move the order to
    ``dikirim``. An order already shipped takes a corrected number and stays shipped."""
    courier, tracking = " ".join(courier.split()), tracking.strip()
    if not courier or not tracking:
        raise InputError("shipment_missing")
    if len(courier) > MAX_COURIER or len(tracking) > MAX_TRACKING:
        raise InputError("shipment_too_long", courier=MAX_COURIER, tracking=MAX_TRACKING)
    if order.status != "dikirim":
        order = await change_status(order.id, "dikirim", now, by=by)
    await Order.filter(id=order.id).update(courier=courier, tracking=tracking, updated_at=now)
    order.courier, order.tracking, order.updated_at = courier, tracking, now
    return order


async def set_shipping_fee(order: Order, fee: int, now: datetime) -> Order:
    """The team worked out the shipping of an order placed without it: the customer now
    owes goods and shipping. Only before payment: a paid order's total is settled."""
    if order.status != "baru":
        raise InputError("shipping_after_payment", id=order.id, status=order.status)
    if not 0 <= fee <= 10_000_000:
        raise InputError("shipping_fee_range", most=10_000_000)
    moved = await Order.filter(id=order.id, status="baru").update(shipping_fee=fee, updated_at=now)
    if not moved:
        raise InputError("order_changed_meanwhile", id=order.id)
    order.shipping_fee, order.updated_at = fee, now
    return order


async def claim_payment(order: Order, now: datetime, proof_id: int | None = None) -> bool | None:
    """The customer says they paid (``proof_id``: the receipt photo's message). False
    when this order had a claim already and this brings nothing new (the team was told);
    None when the order no longer awaits payment (cancelled by the clock a moment ago):
    conditional on its status, so a receipt never lands on a cancelled order."""
    changes: dict[str, object] = {"payment_claimed_at": now}
    if proof_id is not None:
        changes["payment_proof_id"] = proof_id
    first = order.payment_claimed_at is None or (
        proof_id is not None and order.payment_proof_id is None
    )
    if not await Order.filter(id=order.id, status="baru").update(**changes):
        return None
    order.payment_claimed_at = now
    if proof_id is not None:
        order.payment_proof_id = proof_id
    return first


def awaiting_payment() -> Any:
    """Orders whose total the customer knows and whose payment has not been claimed:
    the ones a reminder or an automatic cancel is for. An order still waiting for the
    team's shipping figure, or whose receipt waits to be checked, is the team's turn;
    so is an order the team took by phone or at the counter (``/order``)."""
    return Order.filter(
        status="baru", shipping_fee__isnull=False, payment_claimed_at__isnull=True
    ).exclude(channel="agent")


# An order this much past its reminder time without one (placed before the shop set
# its rules, or the service was down for days) is left to the team: a first reminder
# about a weeks-old order, or a cancel nobody was warned of, would only puzzle.
LATE = timedelta(days=7)


async def due_for_reminder(now: datetime, after: timedelta) -> list[Order]:
    """Unpaid orders whose total was set ``after`` ago or more, not yet reminded."""
    return list(
        await awaiting_payment()
        .filter(
            updated_at__lte=now - after,
            updated_at__gt=now - after - LATE,
            payment_reminded_at__isnull=True,
        )
        .order_by("updated_at", "id")
        .limit(BATCH)
        .select_related("customer")
    )


async def mark_reminded(order: Order, now: datetime) -> bool:
    """One instance reminds: the conditional update lets the other one pass."""
    won = await Order.filter(id=order.id, payment_reminded_at__isnull=True).update(
        payment_reminded_at=now
    )
    return bool(won)


async def due_for_cancel(
    now: datetime, after: timedelta, reminded_after: timedelta | None
) -> list[Order]:
    """Unpaid orders whose total was set ``after`` ago or more. With reminders on, only
    those reminded at least the gap between the two times ago: nobody's order is
    cancelled without the warning, and the warning's promised time holds."""
    due = awaiting_payment().filter(updated_at__lte=now - after)
    if reminded_after is not None:
        due = due.filter(payment_reminded_at__lte=now - (after - reminded_after))
    else:
        due = due.filter(updated_at__gt=now - after - LATE)
    return list(await due.order_by("updated_at", "id").limit(BATCH).select_related("customer"))


BATCH = 200  # orders per run; the next run takes the rest


async def recent_orders(customer_id: int, limit: int = 5) -> list[Order]:
    return (
        await Order.filter(customer_id=customer_id)
        .order_by("-created_at", "-id")
        .limit(limit)
        .prefetch_related("items")
    )
