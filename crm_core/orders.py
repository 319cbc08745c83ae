"""Placing orders and reading them back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import F
from tortoise.functions import Coalesce

from crm_core.catalog import MAX_QUANTITY, OrderLine
from crm_core.errors import InputError
from crm_core.models import Customer, Order, OrderItem, OrderStatusChange


@dataclass(frozen=True)
class Shipping:
    name: str
    address: str
    city: str
    phone: str | None


async def place_order(
    customer: Customer,
    lines: list[OrderLine],
    shipping: Shipping,
    channel: str,
    now: datetime,
    *,
    by: str = "customer",
    shipping_fee: int | None = None,
) -> Order:
    """Write the order, its items and its first status, and bring the customer's running
    figures up to date. Call inside the caller's transaction: all of it or none of it."""
    if not lines:
        raise InputError("an order needs at least one item")
    for line in lines:
        if not line.complete or not 1 <= (line.quantity or 0) <= MAX_QUANTITY:
            raise InputError(f"the line for {line.product.name} is not complete")
    total = sum(line.total for line in lines)
    order = await Order.create(
        customer=customer,
        status="baru",
        channel=channel,
        total=total,
        shipping_fee=shipping_fee,
        ship_name=shipping.name,
        ship_phone=shipping.phone,
        ship_address=shipping.address,
        ship_city=shipping.city,
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
    )
    customer.orders_count += 1
    customer.total_spent += total
    customer.first_order_at = customer.first_order_at or now
    customer.last_order_at = now
    return order


# Where an order may go next. Completed and cancelled orders are final.
NEXT_STATUSES = {
    "baru": ("dibayar", "dikirim", "selesai", "batal"),
    "dibayar": ("dikirim", "selesai", "batal"),
    "dikirim": ("selesai", "batal"),
    "selesai": (),
    "batal": (),
}


async def change_status(order_id: int, status: str, now: datetime, *, by: str) -> Order:
    """Move an order on, recording the change; a cancellation takes the order out of
    the customer's running figures."""
    from crm_core.customers import recount_orders

    if status not in NEXT_STATUSES:
        raise InputError(f"the status must be one of {', '.join(NEXT_STATUSES)}, not {status!r}")
    order = await Order.filter(id=order_id).select_related("customer").first()
    if order is None:
        raise InputError(f"there is no order #{order_id}")
    if status not in NEXT_STATUSES[order.status]:
        raise InputError(f"order #{order_id} is {order.status}; it cannot become {status}")
    # Conditional on the status just read: two agents moving one order at once cannot
    # both succeed.
    moved = await Order.filter(id=order_id, status=order.status).update(
        status=status, updated_at=now
    )
    if not moved:
        raise InputError(f"order #{order_id} was changed by someone else just now; check /riwayat")
    order.status, order.updated_at = status, now
    await OrderStatusChange.create(order=order, status=status, by=by, at=now)
    if status == "batal":
        from crm_core.stock import release

        await release(order.id, now)
        customer = order.customer
        await recount_orders(customer)
        await customer.save(
            update_fields=["orders_count", "total_spent", "first_order_at", "last_order_at"]
        )
    return order


async def recent_orders(customer_id: int, limit: int = 5) -> list[Order]:
    return (
        await Order.filter(customer_id=customer_id)
        .order_by("-created_at", "-id")
        .limit(limit)
        .prefetch_related("items")
    )
