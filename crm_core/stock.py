"""Stock: a product the shop counts is reserved when an order is confirmed and released
when it is cancelled.

A reservation is one conditional update per product (``stock >= quantity``), never a read
then a write, so two customers confirming the last item at once get exactly one order
between them, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from tortoise.expressions import F

from crm_core.catalog import OrderLine
from crm_core.models import OrderItem, Product


async def reserve(lines: Iterable[OrderLine], now: datetime) -> list[str]:
    """Take the lines' quantities from the counted stock, all or none; the names of the
    products that are short (then nothing is taken). Products not counted are free. The
    store's count is the truth here, not the catalog the customer was shown."""
    wanted = Counter[int]()
    names = {}
    for line in lines:
        wanted[line.product.id] += line.quantity or 0
        names[line.product.id] = line.product.name
    taken: list[tuple[int, int]] = []
    short = []
    for product_id, quantity in wanted.items():
        # updated_at moves with the count, so every instance's catalog cache reloads.
        done = await Product.filter(
            id=product_id, stock__not_isnull=True, stock__gte=quantity
        ).update(stock=F("stock") - quantity, updated_at=now)
        if done:
            taken.append((product_id, quantity))
        elif await Product.filter(id=product_id, stock__not_isnull=True).exists():
            short.append(names[product_id])
    if short:
        for product_id, quantity in taken:
            await Product.filter(id=product_id).update(stock=F("stock") + quantity, updated_at=now)
    return short


async def release(order_id: int, now: datetime) -> None:
    """A cancelled order's items go back to the counted stock."""
    items = await OrderItem.filter(order_id=order_id, product_id__not_isnull=True).values_list(
        "product_id", "quantity"
    )
    for product_id, quantity in items:
        await Product.filter(id=product_id, stock__not_isnull=True).update(
            stock=F("stock") + quantity, updated_at=now
        )
