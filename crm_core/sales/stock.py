"""Stock: a product the shop counts, or a colour or size of it the shop counts, is
reserved when an order is confirmed and released when it is cancelled.

A reservation takes each counted thing by one conditional update (``stock >=
quantity``), never by writing back a count it read, so two customers confirming the
last item at once get exactly one order between them, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from itertools import chain

from tortoise.expressions import F

from crm_core.models import OptionStock, OrderItem, Product
from crm_core.sales.catalog import OrderLine


async def reserve(lines: Iterable[OrderLine], now: datetime) -> list[str]:
    """Take the lines' quantities from the counted stock, all or none; the names of
    what is short ("Kaos Polos", or "Kaos Polos Hitam" for a counted colour), and then
    nothing is taken. What is not counted is free. The store's count is the truth here,
    not the catalog the customer was shown.

    Every order is placed through here, and most shops count nothing: so one SELECT
    finds what is counted of the order's products and options, and only that is then
    taken, by the conditional updates (before, two ORM statements for each product and
    each option, counted or not). The statements are written out, as Tortoise spends
    longer building each than the store running it."""
    # (product id, None) for the product's own count, (product id, option) for a colour's
    # or a size's; the products first, as the names of what is short are told.
    products = Counter[tuple[int, str | None]]()
    options = Counter[tuple[int, str | None]]()
    names: dict[tuple[int, str | None], str] = {}
    for line in lines:
        product = line.product
        products[(product.id, None)] += line.quantity or 0
        names[(product.id, None)] = product.name
        for option in (line.colour, line.size):
            if option:
                options[(product.id, option)] += line.quantity or 0
                names[(product.id, option)] = f"{product.name} {option}"
    if not products:
        return []
    db = Product._meta.db  # the transaction's connection inside ``in_transaction``
    mark = "$" if db.capabilities.dialect == "postgres" else "?"
    ids = [product_id for product_id, _ in products]
    _, rows = await db.execute_query(_counted_query(mark, len(ids), bool(options)), ids)
    left = {(row[0], row[1]): row[2] for row in rows}  # what is counted: how many are left
    wanted = [(key, n) for key, n in chain(products.items(), options.items()) if key in left]
    short = [names[key] for key, quantity in wanted if left[key] < quantity]
    if short or not wanted:
        return short
    # Enough when read. On PostgreSQL another order may take some before these updates
    # (SQLite's transaction holds the write lock from its BEGIN IMMEDIATE): each update
    # checks again, and what was taken goes back if one finds too few.
    at = Product._meta.fields_map["updated_at"].to_db_value(now, Product)
    taken = []
    for key, quantity in wanted:
        if key[1] is None:
            # updated_at moves with the count, so every instance's catalog cache reloads.
            sql, values = _take_product(mark), [quantity, at, key[0]]
        else:
            # By its product and name, not the row read: an import may make the row anew.
            sql, values = _take_option(mark), [quantity, key[0], key[1]]
        done, _ = await db.execute_query(sql, values)
        if done:
            taken.append((key, quantity))
        else:
            short.append(names[key])
    if short:
        for (product_id, option), quantity in taken:
            if option is None:
                await Product.filter(id=product_id).update(
                    stock=F("stock") + quantity, updated_at=now
                )
            else:
                await OptionStock.filter(product_id=product_id, option=option).update(
                    stock=F("stock") + quantity
                )
        return short
    # A product whose colour's or size's count was taken, and not its own, moves too.
    own = {product_id for (product_id, option), _ in taken if option is None}
    moved = sorted({product_id for (product_id, _), _ in taken} - own)
    if moved:
        await db.execute_query(_touch_products(mark, len(moved)), [at, *moved])
    return short


def _marks(mark: str, count: int, first: int = 1) -> str:
    """Numbered placeholders, ``?1`` on SQLite and ``$1`` on PostgreSQL: a value used
    twice in a statement is given once."""
    return ", ".join(f"{mark}{n}" for n in range(first, first + count))


@functools.cache
def _counted_query(mark: str, count: int, with_options: bool) -> str:
    """What is counted of ``count`` products (and of their options): rows of product
    id, option (NULL for the product's own count) and how many are left."""
    ids = _marks(mark, count)
    sql = f"SELECT id, NULL, stock FROM product WHERE id IN ({ids}) AND stock IS NOT NULL"
    if with_options:
        sql += (
            f' UNION ALL SELECT product_id, "option", stock FROM option_stock'
            f" WHERE product_id IN ({ids})"
        )
    return sql


@functools.cache
def _take_product(mark: str) -> str:
    return (
        f"UPDATE product SET stock = stock - {mark}1, updated_at = {mark}2"
        f" WHERE id = {mark}3 AND stock >= {mark}1"
    )


@functools.cache
def _take_option(mark: str) -> str:
    return (
        f"UPDATE option_stock SET stock = stock - {mark}1"
        f' WHERE product_id = {mark}2 AND "option" = {mark}3 AND stock >= {mark}1'
    )


@functools.cache
def _touch_products(mark: str, count: int) -> str:
    return f"UPDATE product SET updated_at = {mark}1 WHERE id IN ({_marks(mark, count, 2)})"


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
