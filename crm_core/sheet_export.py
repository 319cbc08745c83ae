"""Customers and orders out to a spreadsheet, page by page, so a big shop exports
without holding its store in memory. Rupiah are plain integers a spreadsheet can sum;
dates are real dates in the shop's time zone. The headers are ones the import reads
back, so exporting and importing the same file changes nothing.

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
from crm_core.sheet_files import SheetWriter
from crm_core.sheet_import import Progress, no_progress

PAGE = 1000
GENDER_OUT = {"m": "L", "f": "P"}
CONSENT_OUT = {True: "ya", False: "tidak"}


@dataclass(frozen=True)
class ExtraColumn:
    header: str
    values: Callable[[list[Customer]], Awaitable[dict[int, Any]]]  # customer id -> value


CUSTOMER_HEADERS = [
    "Name", "Phone", "Email", "Address", "City", "Gender", "Age", "Source", "Consent",
    "Tags", "Orders", "Total spent", "First order", "Last order", "Customer since",
    "Langgan ID",
]  # fmt: skip
ORDER_HEADERS = [
    "Order", "Date", "Name", "Phone", "Email", "Product", "Colour", "Size", "Quantity",
    "Price", "Subtotal", "Status",
]  # fmt: skip


async def export_customers(
    path: Path,
    tz: ZoneInfo,
    *,
    extra: Sequence[ExtraColumn] = (),
    progress: Progress = no_progress,
) -> int:
    writer = SheetWriter(path, [*CUSTOMER_HEADERS, *(c.header for c in extra)])
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
                writer.write([
                    c.name, c.phone, c.email, c.address, c.city, GENDER_OUT.get(c.gender or ""),
                    c.age_band, c.lead_source, CONSENT_OUT.get(c.consent_marketing) if
                    c.consent_marketing is not None else None, ", ".join(tags.get(c.id, [])),
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


async def export_orders(path: Path, tz: ZoneInfo, *, progress: Progress = no_progress) -> int:
    """One row per item: an order of three items is three rows with the same Order."""
    writer = SheetWriter(path, ORDER_HEADERS)
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
                        order.external_ref or f"#{order.id}", _local(order.created_at, tz),
                        customer.name or order.ship_name, customer.phone,
                        customer.email, item.product_name, item.colour, item.size,
                        item.quantity, item.unit_price, item.unit_price * item.quantity,
                        order.status,
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
