"""Customers and orders out to a spreadsheet, page by page, so a big shop exports
without holding its store in memory. Headers are in the shop's language (Indonesian or
English) and are ones the import reads back in either, so exporting and importing the same
file changes nothing.

In a workbook, rupiah are numbers shown as rupiah (a sheet can sum them), dates are date
cells in the shop's time zone, each column is wide enough to read, and the header row
stays in view while scrolling. A CSV is for programs: the same headers, plain integers and
ISO dates.

More customer columns (a segment, say) come as ``ExtraColumn``s: a header and a function
that gives the value for each customer of a page, in one query per page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crm_core.models import Customer, CustomerTag, Order, OrderItem
from crm_core.sheets.columns import header
from crm_core.sheets.files import Layout, SheetWriter
from crm_core.sheets.tally import Progress, no_progress

PAGE = 1000
GENDER_OUT = {"id": {"m": "L", "f": "P"}, "en": {"m": "M", "f": "F"}}
CONSENT_OUT = {"id": {True: "ya", False: "tidak"}, "en": {True: "yes", False: "no"}}
# Order statuses are kept in Indonesian; an English sheet says them in English (the
# import reads either).
STATUS_OUT = {"en": {"baru": "new", "dibayar": "paid", "dikirim": "shipped", "selesai": "done",
                     "batal": "cancelled"}}  # fmt: skip


@dataclass(frozen=True)
class ExtraColumn:
    header: str
    values: Callable[[list[Customer]], Awaitable[dict[int, Any]]]  # customer id -> value


CUSTOMER_COLUMNS = (
    "name", "phone", "email", "address", "city", "gender", "age", "source", "consent",
    "tags", "orders", "total_spent", "first_order", "last_order", "customer_since",
    "langgan_id",
)  # fmt: skip
ORDER_COLUMNS = (
    "order", "date", "name", "phone", "email", "product", "colour", "size", "quantity",
    "price", "subtotal", "status", "ship_name", "ship_phone", "ship_address", "ship_city",
)  # fmt: skip
# Excel's own number formats: the digits are grouped as the reader's Excel groups them.
RUPIAH = '"Rp"#,##0'
COUNT = "#,##0"
DAY = "dd/mm/yyyy"  # day first, as Indonesia writes dates
MOMENT = "dd/mm/yyyy hh:mm"
FORMATS = {"orders": COUNT, "total_spent": RUPIAH, "first_order": DAY, "last_order": DAY,
           "customer_since": DAY, "date": MOMENT, "quantity": COUNT, "price": RUPIAH,
           "subtotal": RUPIAH}  # fmt: skip
# Characters of the column's usual content; a header longer than that widens it.
WIDTHS = {"name": 22, "phone": 16, "email": 26, "address": 40, "city": 16, "tags": 16,
          "order": 16, "date": 16, "product": 24, "total_spent": 14, "price": 12,
          "subtotal": 13, "ship_name": 22, "ship_phone": 16, "ship_address": 40,
          "ship_city": 16, "first_order": 12, "last_order": 12, "customer_since": 12}  # fmt: skip


def layout(columns: Sequence[str], lang: str) -> list[Layout]:
    """Each column's header, width and number format, in ``lang``."""
    laid = []
    for column in columns:
        title = header(column, lang)
        width = max(WIDTHS.get(column, 10), len(title) + 3)  # room for the filter button
        laid.append(Layout(title, width, FORMATS.get(column)))
    return laid


async def export_customers(
    path: Path,
    tz: ZoneInfo,
    *,
    language: str = "id",
    extra: Sequence[ExtraColumn] = (),
    progress: Progress = no_progress,
) -> int:
    columns = [*layout(CUSTOMER_COLUMNS, language), *(Layout(c.header, 16) for c in extra)]
    writer = SheetWriter(path, columns)
    gender, consent = (
        GENDER_OUT.get(language, GENDER_OUT["id"]),
        CONSENT_OUT.get(language, CONSENT_OUT["id"]),
    )
    total, written, last_id = await Customer.filter(merged_into_id__isnull=True).count(), 0, 0
    try:
        while (
            page := await Customer.filter(merged_into_id__isnull=True, id__gt=last_id)
            .order_by("id")
            .limit(PAGE)
        ):
            last_id = page[-1].id
            tags = await _tags([c.id for c in page])
            extras = [await column.values(page) for column in extra]
            for c in page:
                said = consent.get(c.consent_marketing) if c.consent_marketing is not None else None
                writer.write([
                    c.name, c.phone, c.email, c.address, c.city, gender.get(c.gender or ""),
                    c.age_band, c.lead_source, said, ", ".join(tags.get(c.id, [])) or None,
                    c.orders_count, c.total_spent, _day(c.first_order_at, tz),
                    _day(c.last_order_at, tz), _day(c.created_at, tz), f"#{c.id}",
                    *(values.get(c.id) for values in extras),
                ])  # fmt: skip
            written += len(page)
            progress(written, total)
    finally:
        writer.close()
    return written


async def _tags(customer_ids: list[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    rows = await CustomerTag.filter(customer_id__in=customer_ids).order_by("name")
    for tag in rows:
        tags.setdefault(tag.customer_id, []).append(tag.name)  # type: ignore[attr-defined]
    return tags


async def export_orders(
    path: Path, tz: ZoneInfo, *, language: str = "id", progress: Progress = no_progress
) -> int:
    """One row per item: an order of three items is three rows with the same order
    number, each with where the order was shipped."""
    writer = SheetWriter(path, layout(ORDER_COLUMNS, language))
    statuses = STATUS_OUT.get(language, {})
    total, written, last_id = await Order.all().count(), 0, 0
    try:
        while page := await Order.filter(id__gt=last_id).order_by("id").limit(PAGE):
            last_id = page[-1].id
            items = await OrderItem.filter(order_id__in=[o.id for o in page]).order_by("id")
            customers = {
                c.id: c
                for c in await Customer.filter(id__in={o.customer_id for o in page})  # type: ignore[attr-defined]
            }
            by_order: dict[int, list[OrderItem]] = {}
            for item in items:
                by_order.setdefault(item.order_id, []).append(item)  # type: ignore[attr-defined]
            for order in page:
                # The customer's own phone and email, not the delivery's: they are how
                # an import finds the customer again.
                customer = customers[order.customer_id]  # type: ignore[attr-defined]
                for item in by_order.get(order.id, []):
                    writer.write([
                        order.ref, _local(order.created_at, tz),
                        customer.name or order.ship_name, customer.phone,
                        customer.email, item.product_name, item.colour, item.size,
                        item.quantity, item.unit_price, item.unit_price * item.quantity,
                        statuses.get(order.status, order.status), order.ship_name,
                        order.ship_phone, order.ship_address, order.ship_city,
                    ])  # fmt: skip
            written += len(page)
            progress(written, total)
    finally:
        writer.close()
    return written


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    # Spreadsheets have no time zones: the shop's wall-clock time, without one.
    return moment.astimezone(tz).replace(tzinfo=None)


def _day(moment: datetime | None, tz: ZoneInfo) -> date | None:
    return moment.astimezone(tz).date() if moment else None
