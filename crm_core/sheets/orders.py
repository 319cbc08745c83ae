"""Orders from the shop's spreadsheet: one row per item, attached to the customer named by
phone (or email), who is created when the store does not know them yet.

Which rows make one order: rows next to each other with the same order number, or, in a
sheet with no order-number column, with the same customer and date. An order is written
with all its items or not at all: one bad item row leaves the whole order out, reported.
Each imported order carries a key (its order number, or its customer and date), so
importing the same sheet again finds the orders instead of adding them twice. The
customers' running figures are recounted from their orders afterwards."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import BaseORMException
from tortoise.transactions import in_transaction

from crm_core.customers.cities import normalise_city, read_city
from crm_core.customers.records import RUNNING_FIGURES, recount_orders
from crm_core.errors import CellError, InputError
from crm_core.models import Customer, Order, OrderItem, OrderStatusChange, Product
from crm_core.models.orders import ORDER_STATUSES
from crm_core.privacy.erasure import erased_phones
from crm_core.privacy.sealing import email_index, phone_index
from crm_core.sheets import cells as sheet_cells
from crm_core.sheets.columns import aliases, known
from crm_core.sheets.customers import EXPORT_ONLY, PARSERS, PROFILE, PROFILE_ALIASES
from crm_core.sheets.files import open_sheet
from crm_core.sheets.tally import ImportSummary, Progress, as_problem, no_progress
from crm_core.store import plan_for_own_values

ORDERS_PER_BATCH = 200
SHIPPING = ("ship_name", "ship_phone", "ship_address", "ship_city")
ORDER_ALIASES = aliases(*PROFILE, "order", "product", "quantity", "colour", "size", "price",
                        "date", "status", *SHIPPING)  # fmt: skip
ORDER_EXPORT_ONLY = EXPORT_ONLY | known("subtotal")
STATUSES = {
    **{s: s for s in ORDER_STATUSES},
    "new": "baru", "paid": "dibayar", "lunas": "dibayar", "shipped": "dikirim",
    "terkirim": "dikirim", "done": "selesai", "completed": "selesai", "complete": "selesai",
    "cancelled": "batal", "canceled": "batal", "dibatalkan": "batal",
}  # fmt: skip
# "#12" is how Langgan's export names its own order 12 when it has no invoice number.
OWN_NUMBER = re.compile(r"#(\d{1,9})")
# Where the order went, each a text of at most the store's length for it.
SHIPPING_PARSERS: dict[str, Any] = {
    "ship_name": lambda v: sheet_cells.text(v)[:120],
    "ship_phone": sheet_cells.phone,
    "ship_address": lambda v: sheet_cells.text(v)[:1000],
    "ship_city": lambda v: sheet_cells.text(v)[:80],
}
DEFAULT_STATUS = "selesai"  # a past order in a shop's book was, as a rule, delivered


def needs(found: set[str]) -> InputError | None:
    if "product" not in found or "date" not in found:
        return InputError("header_needs_product_date")
    if "phone" not in found and "email" not in found:
        return InputError("header_needs_identity")
    return None


@dataclass
class ItemRow:
    row: int
    customer: dict[str, Any]  # name, phone, email, address, city
    shipping: dict[str, Any]  # ship_name, ship_phone, ship_address, ship_city, when given
    ref: str
    at: datetime
    product: str
    quantity: int
    colour: str | None
    size: str | None
    price: int | None
    status: str

    @property
    def who(self) -> str:
        # A row naming one of Langgan's own orders ("#12") may name nobody else.
        return self.customer.get("phone") or self.customer.get("email") or self.ref

    def ship(self, field: str) -> Any:
        """Where the order went; where the customer lives when the sheet does not say."""
        return self.shipping.get(f"ship_{field}") or self.customer.get(field)

    @property
    def order_key(self) -> str:
        # An order number names the order in the whole shop; without one, a customer's
        # order is known by its day.
        basis = f"ref|{self.ref}" if self.ref else f"day|{self.who}|{self.at.date()}"
        return hashlib.sha256(basis.encode()).hexdigest()[:40]


@dataclass
class PendingOrder:
    key: str
    rows: list[ItemRow] = field(default_factory=list)
    problem: tuple[int, str] | None = None  # the first bad row and why


def parse_item(number: int, cells: dict[str, Any], tz: ZoneInfo) -> ItemRow:
    customer = {
        column: PARSERS[column](value)
        for column, value in cells.items()
        if column in PROFILE_ALIASES and sheet_cells.text(value)
    }
    shipping = {
        column: SHIPPING_PARSERS[column](value)
        for column, value in cells.items()
        if column in SHIPPING_PARSERS and sheet_cells.text(value)
    }
    ref = sheet_cells.text(cells.get("order"))[:64]
    # A row naming one of Langgan's own orders ("#12", "INV-2026-0001") may name nobody
    # else: a customer known only by their chat has no phone or email to write.
    if not customer.get("phone") and not customer.get("email") and not ref:
        raise CellError("row_no_order_owner")
    product = sheet_cells.text(cells.get("product"))[:120]
    if not product:
        raise CellError("row_no_product")
    if not sheet_cells.text(cells.get("date")):
        raise CellError("row_no_date")
    status_text = sheet_cells.text(cells.get("status")).casefold()
    if status_text and status_text not in STATUSES:
        raise CellError("cell_status", value=status_text, known=", ".join(ORDER_STATUSES))
    price = cells.get("price")
    return ItemRow(
        row=number,
        customer=customer,
        shipping=shipping,
        ref=ref,
        at=sheet_cells.moment(cells.get("date"), tz),
        product=product,
        quantity=sheet_cells.quantity(cells.get("quantity")),
        colour=sheet_cells.text(cells.get("colour"))[:40] or None,
        size=sheet_cells.text(cells.get("size"))[:40] or None,
        price=sheet_cells.rupiah(price) if sheet_cells.text(price) else None,
        status=STATUSES.get(status_text, DEFAULT_STATUS),
    )


async def import_orders(
    path: Path,
    now: datetime,
    tz: ZoneInfo,
    *,
    language: str = "id",
    progress: Progress = no_progress,
    batch_size: int = ORDERS_PER_BATCH,
) -> ImportSummary:
    summary = ImportSummary()
    catalog = {p.name.casefold(): p for p in await Product.all()}
    with open_sheet(path, ORDER_ALIASES, ORDER_EXPORT_ONLY, required=needs) as sheet:
        summary.unknown_columns, summary.header_row = sheet.unknown, sheet.header_row
        seen_rows: dict[int, int] = {}
        seen_orders: dict[str, int] = {}  # order key -> its first row
        orders: list[PendingOrder] = []
        current: PendingOrder | None = None
        bad_before: tuple[int, dict[str, Any]] | None = None  # the bad row just read
        for number, cells in sheet.rows:
            values = {column: sheet.cell(cells, column) for column in sheet.columns}
            if all(sheet_cells.text(v) == "" for v in values.values()):
                continue
            fingerprint = hash(tuple(sheet_cells.text(v).casefold() for v in values.values()))
            if fingerprint in seen_rows:
                summary.problem(number, InputError("row_repeated", row=seen_rows[fingerprint]),
                                bad=False)  # fmt: skip
                continue
            seen_rows[fingerprint] = number
            try:
                item = parse_item(number, values, tz)
            except ValueError as exc:
                if current is not None and _same_order(values, current.rows[0]):
                    current.problem = current.problem or (number, str(exc))
                summary.problem(number, as_problem(exc))
                bad_before = (number, values)
                continue
            key = item.order_key
            if current is None or current.key != key:
                if key in seen_orders:
                    summary.problem(number, InputError("order_rows_apart", row=seen_orders[key]))
                    continue
                current = PendingOrder(key)
                if bad_before is not None and _same_order(bad_before[1], item):
                    current.problem = (bad_before[0], "bad")
                seen_orders[key] = number
                orders.append(current)
            bad_before = None
            current.rows.append(item)
            if len(orders) > batch_size:
                await _load(orders[:-1], now, language, catalog, summary)
                orders = orders[-1:]
                progress(number, sheet.total_rows)
        await _load(orders, now, language, catalog, summary)
        progress(sheet.total_rows or 0, sheet.total_rows)
    summary.problems.sort(key=lambda p: p.row)
    return summary


def _same_order(values: dict[str, Any], item: ItemRow) -> bool:
    """Whether a bad row next to ``item`` is of the same order: the same order number,
    or (with none) the same customer's phone. Then that order must not load without it."""
    if item.ref:
        return sheet_cells.text(values.get("order")) == item.ref
    phone = sheet_cells.try_phone(values.get("phone"))
    return phone is not None and phone == item.customer.get("phone")


async def _load(
    orders: list[PendingOrder],
    now: datetime,
    language: str,
    catalog: dict[str, Product],
    summary: ImportSummary,
) -> None:
    ready = []
    for order in orders:
        if order.problem is not None:
            row, _ = order.problem
            for item in order.rows:
                summary.problem(item.row, InputError("order_row_bad", row=row))
            continue
        missing = [i for i in order.rows if i.price is None and i.product.casefold() not in catalog]
        if missing:
            first_bad = missing[0]
            for item in order.rows:
                summary.problem(
                    item.row,
                    InputError("order_row_unpriced", product=item.product)
                    if item in missing
                    else InputError("order_row_bad", row=first_bad.row),
                )
            continue
        ready.append(order)
    if not ready:
        return
    tally = ImportSummary()
    try:
        async with in_transaction() as db:
            await plan_for_own_values(db)
            await _load_batch(ready, now, language, catalog, tally)
    except BaseORMException as exc:
        summary.refused((item.row for order in ready for item in order.rows), exc)
        return
    for name in ("added", "merged", "unchanged", "bad", "customers_added"):
        setattr(summary, name, getattr(summary, name) + getattr(tally, name))
    summary.problems.extend(tally.problems)


async def _load_batch(
    orders: list[PendingOrder],
    now: datetime,
    language: str,
    catalog: dict[str, Product],
    tally: ImportSummary,
) -> None:
    customers, erased = await _customers(orders, now, language, tally)
    known = set(
        await Order.filter(import_key__in=[o.key for o in orders]).values_list(
            "import_key", flat=True
        )
    )
    own = await _own_orders(orders)
    touched: dict[int, Customer] = {}
    for order in orders:
        first = order.rows[0]
        customer = customers.get(first.who)
        owner = own.get(first.ref)
        if order.key in known or (owner and (customer is None or owner == customer.id)):
            tally.unchanged += len(order.rows)
            continue
        if customer is None:
            reason = (
                InputError("order_erased_customer")
                if first.who in erased
                else InputError("order_two_customers")
                if first.customer.get("phone") or first.customer.get("email")
                else InputError("order_unknown_ref", ref=first.ref)
            )
            for item in order.rows:
                tally.problem(item.row, reason)
            continue
        await _write_order(order, customer, catalog, now)
        touched[customer.id] = customer
        tally.added += 1
    for customer in touched.values():
        await recount_orders(customer)
        await customer.save(update_fields=sorted(RUNNING_FIGURES))


async def _customers(
    orders: list[PendingOrder], now: datetime, language: str, tally: ImportSummary
) -> tuple[dict[str, Customer], set[str]]:
    """Each order's customer by the phone or email the sheet names, creating those the
    store does not know. A row whose phone and email point at two records maps to none,
    and so does one whose phone an erased customer had (those are returned too)."""
    rows = [order.rows[0] for order in orders]
    phones = {r.customer["phone"] for r in rows if r.customer.get("phone")}
    emails = {r.customer["email"] for r in rows if r.customer.get("email")}
    by_phone = {
        c.phone: c
        for c in await Customer.filter(
            phone_index__in=[phone_index(p) for p in phones], merged_into_id__isnull=True
        )
    }
    by_email: dict[str, Customer] = {}
    if emails:
        # Emails are kept in lower case, so an exact match ignores case.
        for c in await Customer.filter(
            email_index__in=[email_index(e) for e in emails], merged_into_id__isnull=True
        ).order_by("id"):
            by_email.setdefault(c.email or "", c)
    erased_numbers = await erased_phones(phones - set(by_phone))
    erased: set[str] = set()
    found: dict[str, Customer] = {}
    for row in rows:
        if row.who in found or not (row.customer.get("phone") or row.customer.get("email")):
            continue
        phone_owner = by_phone.get(row.customer.get("phone") or "")
        email_owner = by_email.get(row.customer.get("email") or "")
        if phone_owner and email_owner and phone_owner.id != email_owner.id:
            continue
        customer = phone_owner or email_owner
        if customer is None and row.customer.get("phone") in erased_numbers:
            erased.add(row.who)
            continue
        if customer is None:
            # A sales sheet may give only where the order went: as a rule, to the buyer.
            city, city_typed = read_city(row.ship("city"))
            customer = await Customer.create(
                name=row.customer.get("name") or row.shipping.get("ship_name"),
                phone=row.customer.get("phone"),
                phone_verified=bool(row.customer.get("phone")),  # the shop vouches
                email=row.customer.get("email"),
                address=row.ship("address"),
                city=city,
                city_typed=city_typed,
                language=language,
                created_at=now,
                updated_at=now,
            )
            tally.customers_added += 1
            if customer.phone:
                by_phone[customer.phone] = customer
            if customer.email:
                by_email[customer.email] = customer
        found[row.who] = customer
    return found, erased


async def _own_orders(orders: list[PendingOrder]) -> dict[str, int]:
    """Rows naming one of Langgan's own orders, as its export writes them (its invoice
    number, or "#12" without one): the sheet's order -> the order's customer."""
    refs = {o.rows[0].ref for o in orders if o.rows[0].ref}
    ids = {int(m.group(1)): ref for ref in refs if (m := OWN_NUMBER.fullmatch(ref))}
    found: dict[str, int] = {}
    if ids:
        pairs = await Order.filter(id__in=list(ids)).values_list("id", "customer_id")
        found.update({ids[order_id]: customer_id for order_id, customer_id in pairs})
    numbered = refs - set(ids.values())
    if numbered:
        pairs = await Order.filter(number__in=list(numbered)).values_list("number", "customer_id")
        found.update({number: customer_id for number, customer_id in pairs})
    return found


async def _write_order(
    order: PendingOrder, customer: Customer, catalog: dict[str, Product], now: datetime
) -> None:
    first = order.rows[0]
    typed_city = first.ship("city") or customer.city_typed or customer.city or ""
    lines = []
    for item in order.rows:
        product = catalog.get(item.product.casefold())
        price = item.price if item.price is not None else product.price if product else 0
        lines.append((item, product, price))
    written = await Order.create(
        customer=customer,
        status=first.status,
        channel="import",
        total=sum(price * item.quantity for item, _, price in lines),
        ship_name=first.ship("name") or customer.name or "",
        ship_phone=first.ship("phone") or customer.phone,
        ship_address=first.ship("address") or customer.address or "",
        ship_city=normalise_city(typed_city) or "",
        ship_city_typed=typed_city or None,
        external_ref=None if OWN_NUMBER.fullmatch(first.ref) else first.ref or None,
        import_key=order.key,
        created_at=first.at,
        updated_at=now,
    )
    await OrderItem.bulk_create([
        OrderItem(
            order_id=written.id, product_id=product.id if product else None,
            product_name=product.name if product else item.product, unit_price=price,
            quantity=item.quantity, colour=item.colour, size=item.size,
        )
        for item, product, price in lines
    ])  # fmt: skip
    await OrderStatusChange.create(order_id=written.id, status=first.status, by="import",
                                   at=first.at)  # fmt: skip
