"""Customers and orders out to a spreadsheet, and back in: the round trip changes nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from crm_core.catalog import CatalogItem, OrderLine
from crm_core.customer_import import import_customers
from crm_core.customers import snapshot
from crm_core.models import Customer, CustomerTag, Order, OrderItem, Product
from crm_core.order_import import import_orders
from crm_core.orders import Shipping, place_order
from crm_core.sheet_export import ExtraColumn, export_customers, export_orders
from tests.conftest import START, add_sample_catalog
from tests.shop_sheets import customers_xlsx, orders_xlsx

JAKARTA = ZoneInfo("Asia/Jakarta")


async def a_shop(tmp_path: Path) -> None:
    """Customers from a sheet, orders from a sheet, one customer and order from a chat."""
    await add_sample_catalog()
    await import_customers(customers_xlsx(tmp_path / "pelanggan.xlsx"), START)
    await import_orders(orders_xlsx(tmp_path / "penjualan.xlsx"), START, JAKARTA)
    rina = await Customer.create(
        name="Rina", telegram_id=555, phone="+6281399990000", phone_verified=True,
        email="Rina@Example.com", city="Medan", consent_marketing=True, consent_at=START,
        created_at=START, updated_at=START,
    )  # fmt: skip
    await CustomerTag.create(customer=rina, name="vip", created_at=START)
    # Known only by a Telegram chat: no phone, no email.
    await Customer.create(display_name="Tono", telegram_id=777, created_at=START, updated_at=START)
    product = await Product.get(name="Kaos Polos")
    kaos = CatalogItem(product.id, product.name, product.price, ("Hitam",), ("L",))
    line = OrderLine(kaos, "Hitam", "L", 2)
    where = Shipping("Rina", "Jl. Gatot Subroto", "Medan", None)
    await place_order(rina, [line], where, "telegram", START)


async def store_contents() -> tuple[list[dict[str, object]], list[tuple[object, ...]], int]:
    customers = [snapshot(c) for c in await Customer.all().order_by("id")]
    orders = await Order.all().order_by("id").values_list("id", "customer_id", "total", "status")
    return customers, orders, await OrderItem.all().count()


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
async def test_export_then_import_changes_nothing(store: str, tmp_path: Path, suffix: str):
    await a_shop(tmp_path)
    before = await store_contents()
    customers_file, orders_file = tmp_path / f"c{suffix}", tmp_path / f"o{suffix}"
    assert await export_customers(customers_file, JAKARTA) == 5
    assert await export_orders(orders_file, JAKARTA) == 4

    customers = await import_customers(customers_file, START)
    orders = await import_orders(orders_file, START, JAKARTA)

    assert (customers.added, customers.merged, customers.unchanged, customers.bad) == (0, 0, 5, 0)
    assert customers.unknown_columns == [] and orders.unknown_columns == []
    assert (orders.added, orders.customers_added, orders.unchanged, orders.bad) == (0, 0, 5, 0)
    assert await store_contents() == before


async def test_the_workbook_holds_numbers_and_real_dates(store: str, tmp_path: Path):
    await a_shop(tmp_path)
    await export_customers(tmp_path / "c.xlsx", JAKARTA)
    await export_orders(tmp_path / "o.xlsx", JAKARTA)

    sheet = load_workbook(tmp_path / "c.xlsx").worksheets[0]
    rows = {row[0]: dict(zip([c.value for c in sheet[1]], row, strict=True))
            for row in sheet.iter_rows(min_row=2, values_only=True)}  # fmt: skip
    siti = rows["Siti Aminah"]
    assert (siti["Phone"], siti["Gender"], siti["Age"], siti["Orders"]) == (
        "+6281234567890", "P", "25-34", 2,
    )  # fmt: skip
    assert siti["Total spent"] == 300_000
    assert siti["First order"] == datetime(2026, 10, 5)  # a date cell, not text
    assert (rows["Rina"]["Tags"], rows["Rina"]["Consent"]) == ("vip", "ya")

    sheet = load_workbook(tmp_path / "o.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    lines = [
        dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert [
        (r["Order"], r["Product"], r["Quantity"], r["Price"], r["Subtotal"]) for r in lines
    ] == [
        ("INV-1", "Kaos Polos", 2, 75_000, 150_000),
        ("INV-1", "Hijab Voal", 1, 45_000, 45_000),
        ("INV-2", "Kemeja Batik", 1, 150_000, 150_000),
        ("INV-3", "Tote Bag Kanvas", 3, 35_000, 105_000),
        ("#4", "Kaos Polos", 2, 75_000, 150_000),
    ]
    # START is 10:00 in Jakarta: the shop's own clock, as a date-and-time cell.
    assert lines[-1]["Date"] == datetime(2026, 11, 2, 10, 0)
    assert lines[-1]["Status"] == "baru"


async def test_an_extra_column_is_one_more_provider(store: str, tmp_path: Path):
    await a_shop(tmp_path)

    async def first_letter(customers: list[Customer]) -> dict[int, object]:
        return {c.id: (c.name or "?")[0] for c in customers}

    await export_customers(tmp_path / "c.csv", JAKARTA,
                           extra=[ExtraColumn("Segment", first_letter)])  # fmt: skip

    lines = (tmp_path / "c.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].endswith(",Customer since,Langgan ID,Segment")
    assert lines[1].startswith("Siti Aminah,") and lines[1].endswith(
        ",2026-10-05,2026-11-01,2026-11-02,#1,S"
    )
