"""Stock: a product the shop counts, or a colour or size of it the shop counts, is
reserved when an order is confirmed and released when it is cancelled.

A reservation is one conditional update per counted thing (``stock >= quantity``),
never a read then a write, so two customers confirming the last item at once get
exactly one order between them, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from tortoise.expressions import F

from crm_core.models import OptionStock, OrderItem, Product
from crm_core.sales.catalog import OrderLine


async def reserve(lines: Iterable[OrderLine], now: datetime) -> list[str]:
    """Take the lines' quantities from the counted stock, all or none; the names of
    what is short ("Kaos Polos", or "Kaos Polos Hitam" for a counted colour), and then
    nothing is taken. What is not counted is free. The store's count is the truth here,
    not the catalog the customer was shown."""
    products = Counter[int]()
    options = Counter[tuple[int, str]]()
    names: dict[object, str] = {}
    for line in lines:
        products[line.product.id] += line.quantity or 0
        names[line.product.id] = line.product.name
        for option in (line.colour, line.size):
            if option:
                options[(line.product.id, option)] += line.quantity or 0
                names[(line.product.id, option)] = f"{line.product.name} {option}"
    taken_products: list[tuple[int, int]] = []
    taken_options: list[tuple[int, str, int]] = []
    short = []
    for product_id, quantity in products.items():
        # updated_at moves with the count, so every instance's catalog cache reloads.
        done = await Product.filter(
            id=product_id, stock__not_isnull=True, stock__gte=quantity
        ).update(stock=F("stock") - quantity, updated_at=now)
        if done:
            taken_products.append((product_id, quantity))
        elif await Product.filter(id=product_id, stock__not_isnull=True).exists():
            short.append(names[product_id])
    for (product_id, option), quantity in options.items():
        counted = OptionStock.filter(product_id=product_id, option=option)
        if await counted.filter(stock__gte=quantity).update(stock=F("stock") - quantity):
            taken_options.append((product_id, option, quantity))
            await Product.filter(id=product_id).update(updated_at=now)
        elif await counted.exists():
            short.append(names[(product_id, option)])
    if short:
        for product_id, quantity in taken_products:
            await Product.filter(id=product_id).update(stock=F("stock") + quantity, updated_at=now)
        for product_id, option, quantity in taken_options:
            await OptionStock.filter(product_id=product_id, option=option).update(
                stock=F("stock") + quantity
            )
    return short


async def release(order_id: int, now: datetime) -> None:
    """A cancelled order's items go back to the counted stock, options included."""
    items = await OrderItem.filter(order_id=order_id, product_id__not_isnull=True).values_list(
        "product_id", "quantity", "colour", "size"
    )
    for product_id, quantity, colour, size in items:
        await Product.filter(id=product_id, stock__not_isnull=True).update(
            stock=F("stock") + quantity, updated_at=now
        )
        for option in (colour, size):
            if option and await OptionStock.filter(product_id=product_id, option=option).update(
                stock=F("stock") + quantity
            ):
                await Product.filter(id=product_id).update(updated_at=now)
