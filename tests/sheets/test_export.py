"""Customers and orders out to a spreadsheet a shop can use, and back in: headers in the
shop's language, numbers and dates as real cells, where each order went, and a round trip
that changes nothing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from crm_core.customers.records import snapshot
from crm_core.models import (
    ConsentEvent,
    Customer,
    CustomerTag,
    Order,
    OrderItem,
    OrderStatusChange,
    Product,
)
from crm_core.sales.catalog import CatalogItem, OrderLine
from crm_core.sales.orders import Shipping, place_order
from crm_core.sheets.customers import import_customers
from crm_core.sheets.export import ExtraColumn, export_customers, export_orders
from crm_core.sheets.orders import import_orders
from crm_core.sheets.tally import ImportSummary
from tests.support.chat import START
from tests.support.sample_catalog import add_sample_catalog
from tests.support.shop_sheets import customers_xlsx, orders_xlsx

JAKARTA = ZoneInfo("Asia/Jakarta")
RUPIAH = '"Rp"#,##0'


async def a_shop(tmp_path: Path) -> None:
    """Customers from a sheet, orders from a sheet, and two customers of the chat: Rina,
    who sent an order to her mother, and Tono, known only by his Telegram chat, whose
    order has an invoice number."""
    await add_sample_catalog()
    await import_customers(customers_xlsx(tmp_path / "pelanggan.xlsx"), START)
    await import_orders(orders_xlsx(tmp_path / "penjualan.xlsx"), START, JAKARTA)
    rina = await Customer.create(
        name="Rina", telegram_id=555, phone="+6281399990000", phone_verified=True,
        email="Rina@Example.com", city="Medan", consent_marketing=True, consent_at=START,
        created_at=START, updated_at=START,
    )  # fmt: skip
    await CustomerTag.create(customer=rina, name="vip", created_at=START)
    tono = await Customer.create(
        display_name="Tono", telegram_id=777, created_at=START, updated_at=START
    )
    product = await Product.get(name="Kaos Polos")
    kaos = CatalogItem(product.id, product.name, product.price, ("Hitam",), ("L",))
    gift = Shipping("Sri Wahyuni", "Jl. Gatot Subroto 7", "Medan", "+6281377778888")
    await place_order(rina, [OrderLine(kaos, "Hitam", "L", 2)], gift, "telegram", START)
    home = Shipping("Tono", "Jl. Pemuda 3", "Semarang", None)
    await place_order(tono, [OrderLine(kaos, "Hitam", "L", 1)], home, "telegram", START,
                      series="INV-2026-")  # fmt: skip


async def store_contents() -> tuple[list[dict[str, object]], list[tuple[object, ...]], int]:
    customers = [snapshot(c) for c in await Customer.all().order_by("id")]
    orders = (
        await Order.all()
        .order_by("id")
        .values_list(
            "id", "customer_id", "total", "status", "ship_name", "ship_address", "ship_city"
        )
    )
    return customers, orders, await OrderItem.all().count()


def table(path: Path) -> tuple[Worksheet, list[Any], list[dict[str, Any]]]:
    """The first sheet, its header and its rows by header."""
    sheet = load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = [
        dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    return sheet, header, rows


def counts(summary: ImportSummary) -> tuple[int, ...]:
    return (summary.added, summary.merged, summary.unchanged, summary.skipped, summary.bad)


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
async def test_export_then_import_changes_nothing(
    store: str, tmp_path: Path, suffix: str, language: str
):
    await a_shop(tmp_path)
    before = await store_contents()
    customers_file, orders_file = tmp_path / f"c{suffix}", tmp_path / f"o{suffix}"
    assert await export_customers(customers_file, JAKARTA, language=language) == 5
    assert await export_orders(orders_file, JAKARTA, language=language) == 5

    customers = await import_customers(customers_file, START)
    orders = await import_orders(orders_file, START, JAKARTA)

    assert counts(customers) == (0, 0, 5, 0, 0)
    assert customers.unknown_columns == [] and orders.unknown_columns == []
    # Six item rows: Tono's, named only by its invoice number, is found by it.
    assert counts(orders) == (0, 0, 6, 0, 0) and orders.customers_added == 0
    assert await store_contents() == before


CUSTOMER_HEADERS = {
    "id": ["Nama", "No HP", "Email", "Alamat", "Kota", "Jenis Kelamin", "Umur", "Sumber",
           "Izin Promo", "Tag", "Jumlah Pesanan", "Total Belanja", "Pesanan Pertama",
           "Pesanan Terakhir", "Pelanggan Sejak", "ID Langgan"],
    "en": ["Name", "Phone", "Email", "Address", "City", "Gender", "Age", "Source",
           "Marketing consent", "Tags", "Orders", "Total spent", "First order", "Last order",
           "Customer since", "Langgan ID"],
}  # fmt: skip
ORDER_HEADERS = {
    "id": ["No Pesanan", "Tanggal", "Nama", "No HP", "Email", "Produk", "Warna", "Ukuran",
           "Jumlah", "Harga", "Subtotal", "Status", "Nama Penerima", "HP Penerima",
           "Alamat Kirim", "Kota Kirim"],
    "en": ["Order", "Date", "Name", "Phone", "Email", "Product", "Colour", "Size", "Quantity",
           "Price", "Subtotal", "Status", "Recipient", "Recipient phone", "Shipping address",
           "Shipping city"],
}  # fmt: skip


@pytest.mark.parametrize("language", ["id", "en"])
async def test_headers_are_in_the_shops_language(store: str, tmp_path: Path, language: str):
    await a_shop(tmp_path)
    await export_customers(tmp_path / "c.xlsx", JAKARTA, language=language)
    await export_orders(tmp_path / "o.csv", JAKARTA, language=language)

    assert table(tmp_path / "c.xlsx")[1] == CUSTOMER_HEADERS[language]
    # The CSV, for programs, has the same headers.
    first_line = (tmp_path / "o.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert first_line == ",".join(ORDER_HEADERS[language])


async def test_the_customer_workbook_holds_numbers_real_dates_and_readable_columns(
    store: str, tmp_path: Path
):
    await a_shop(tmp_path)
    await export_customers(tmp_path / "c.xlsx", JAKARTA)

    sheet, header, rows = table(tmp_path / "c.xlsx")
    assert sheet.freeze_panes == "A2"  # the header stays in view while scrolling
    assert sheet.auto_filter.ref == "A1:P6"
    assert all(cell.font.b for cell in sheet[1])
    for letter, title in zip("ABCDEFGHIJKLMNOP", header, strict=True):
        assert sheet.column_dimensions[letter].width >= len(title) + 2, title
    assert sheet.column_dimensions["D"].width >= 35  # an address reads whole
    # No blank rows: five customers, five rows, each with something in it.
    assert sheet.max_row == 6 and all(any(row.values()) for row in rows)

    siti = {r["Nama"]: r for r in rows}["Siti Aminah"]
    assert (siti["No HP"], siti["Jenis Kelamin"], siti["Umur"], siti["Jumlah Pesanan"]) == (
        "+6281234567890", "P", "25-34", 2,
    )  # fmt: skip
    assert siti["Total Belanja"] == 300_000
    assert siti["Pesanan Pertama"] == datetime(2026, 10, 5)  # a date cell, not text
    cells = {c.column_letter: c for c in sheet[2]}
    assert (cells["L"].data_type, cells["L"].number_format) == ("n", RUPIAH)
    assert cells["K"].data_type == "n"
    assert cells["M"].is_date and cells["M"].number_format == "dd/mm/yyyy"
    rina = {r["No HP"]: r for r in rows}["+6281399990000"]
    assert (rina["Tag"], rina["Izin Promo"], rina["Email"]) == ("vip", "ya", "Rina@Example.com")


async def test_the_order_workbook_says_where_each_order_went(store: str, tmp_path: Path):
    await a_shop(tmp_path)
    await export_orders(tmp_path / "o.xlsx", JAKARTA, language="en")

    sheet, _, rows = table(tmp_path / "o.xlsx")
    assert [
        (r["Order"], r["Product"], r["Quantity"], r["Price"], r["Subtotal"], r["Status"])
        for r in rows
    ] == [
        ("INV-1", "Kaos Polos", 2, 75_000, 150_000, "done"),
        ("INV-1", "Hijab Voal", 1, 45_000, 45_000, "done"),
        ("INV-2", "Kemeja Batik", 1, 150_000, 150_000, "done"),
        ("INV-3", "Tote Bag Kanvas", 3, 35_000, 105_000, "done"),
        ("#4", "Kaos Polos", 2, 75_000, 150_000, "new"),
        ("INV-2026-0001", "Kaos Polos", 1, 75_000, 75_000, "new"),
    ]
    shipped = [
        (r["Name"], r["Phone"], r["Recipient"], r["Recipient phone"], r["Shipping address"],
         r["Shipping city"]) for r in rows
    ]  # fmt: skip
    assert shipped[0] == (
        "Siti Aminah", "+6281234567890", "Siti Aminah", "+6281234567890", "Jl. Darmo 12",
        "Surabaya",
    )  # fmt: skip
    # Rina's order went to her mother: the recipient, not the buyer.
    assert shipped[4] == (
        "Rina", "+6281399990000", "Sri Wahyuni", "+6281377778888", "Jl. Gatot Subroto 7", "Medan",
    )  # fmt: skip
    assert shipped[5] == ("Tono", None, "Tono", None, "Jl. Pemuda 3", "Semarang")
    # START is 10:00 in Jakarta: the shop's own clock, as a date-and-time cell.
    assert rows[4]["Date"] == datetime(2026, 11, 2, 10, 0)
    assert rows[2]["Date"] == datetime(2026, 10, 15)  # an Excel serial in the sheet imported
    cells = {c.column_letter: c for c in sheet[2]}
    assert cells["B"].is_date and cells["B"].number_format == "dd/mm/yyyy hh:mm"
    assert [cells[x].number_format for x in "IJK"] == ["#,##0", RUPIAH, RUPIAH]
    assert sheet.freeze_panes == "A2" and sheet.max_row == 7
    assert sheet.column_dimensions["O"].width >= 35  # the shipping address


async def test_a_csv_stays_plain_for_programs(store: str, tmp_path: Path):
    await a_shop(tmp_path)
    await export_orders(tmp_path / "o.csv", JAKARTA)

    lines = (tmp_path / "o.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[5] == (
        "#4,2026-11-02 10:00,Rina,+6281399990000,Rina@Example.com,Kaos Polos,Hitam,L,2,75000,"
        "150000,baru,Sri Wahyuni,+6281377778888,Jl. Gatot Subroto 7,Medan"
    )
    assert len(lines) == 7 and all(lines)


async def test_a_round_trip_into_an_empty_store_loses_nothing(store: str, tmp_path: Path):
    """A shop moving to a new store: what the sheets hold comes back whole. Only Tono,
    known by nothing but his Telegram chat, cannot be carried by a sheet, and is named."""
    await a_shop(tmp_path)
    await export_customers(tmp_path / "c.xlsx", JAKARTA)
    await export_orders(tmp_path / "o.xlsx", JAKARTA)
    _, _, customers_before = table(tmp_path / "c.xlsx")
    _, _, orders_before = table(tmp_path / "o.xlsx")
    for model in (OrderStatusChange, OrderItem, Order, CustomerTag, ConsentEvent, Customer):
        await model.all().delete()

    customers = await import_customers(tmp_path / "c.xlsx", START)
    orders = await import_orders(tmp_path / "o.xlsx", START, JAKARTA)
    await export_customers(tmp_path / "c2.xlsx", JAKARTA)
    await export_orders(tmp_path / "o2.xlsx", JAKARTA)

    assert counts(customers) == (4, 0, 0, 0, 1)
    assert [(p.row, str(p.reason)) for p in customers.problems] == [
        (6, "Customer #5 is not in this store, and the row has no phone or email to add them by.")
    ]
    assert counts(orders) == (4, 0, 0, 0, 1)
    assert [(p.row, str(p.reason)) for p in orders.problems] == [
        (7, "Order INV-2026-0001 is not in this store; give the customer's phone.")
    ]

    def kept(rows: list[dict[str, Any]], *drop: str) -> list[dict[str, Any]]:
        # An import keeps emails in lower case, as the bot does ("Rina@Example.com").
        return [
            {k: v.casefold() if k == "Email" and v else v for k, v in r.items() if k not in drop}
            for r in rows
        ]

    # Langgan's own numbers and the day a record was made are the new store's.
    own = ("ID Langgan", "Pelanggan Sejak")
    assert kept(table(tmp_path / "c2.xlsx")[2], *own) == kept(customers_before[:4], *own)
    after = table(tmp_path / "o2.xlsx")[2]
    assert kept(after, "No Pesanan") == kept(orders_before[:5], "No Pesanan")
    assert [r["No Pesanan"] for r in after][:4] == ["INV-1", "INV-1", "INV-2", "INV-3"]
    assert after[4]["No Pesanan"].startswith("#")  # the new store's own number


async def test_an_extra_column_is_one_more_provider(store: str, tmp_path: Path):
    await a_shop(tmp_path)

    async def first_letter(customers: list[Customer]) -> dict[int, object]:
        return {c.id: (c.name or "?")[0] for c in customers}

    await export_customers(tmp_path / "c.csv", JAKARTA, language="en",
                           extra=[ExtraColumn("Segment", first_letter)])  # fmt: skip

    lines = (tmp_path / "c.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].endswith(",Customer since,Langgan ID,Segment")
    assert lines[1].startswith("Siti Aminah,") and lines[1].endswith(
        ",2026-10-05,2026-11-01,2026-11-02,#1,S"
    )
    assert date(2026, 11, 2) == START.astimezone(JAKARTA).date()  # "Customer since"
