"""Orders from a shop's sales sheet: grouped into orders, attached to customers, written
whole or not at all, the customers' running figures right, and a second run a no-op."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from crm_core.models import Customer, Order, OrderItem, Product
from crm_core.privacy.sealing import phone_index
from crm_core.sales.catalog import CatalogItem, OrderLine
from crm_core.sales.orders import Shipping, place_order
from crm_core.sheets.orders import import_orders
from tests.support.chat import START
from tests.support.sample_catalog import add_sample_catalog
from tests.support.shop_sheets import orders_xlsx

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=JAKARTA).astimezone(UTC)


async def items(ref: str) -> list[tuple[str, str | None, str | None, int, int]]:
    order = await Order.get(external_ref=ref)
    return [
        (i.product_name, i.colour, i.size, i.quantity, i.unit_price)
        for i in await OrderItem.filter(order_id=order.id).order_by("id")
    ]


async def test_a_sales_sheet_becomes_orders_with_their_items(store: str, tmp_path: Path):
    await add_sample_catalog()
    summary = await import_orders(orders_xlsx(tmp_path / "penjualan.xlsx"), START, JAKARTA)

    assert (summary.added, summary.customers_added, summary.bad) == (3, 2, 2)
    assert [(p.row, str(p.reason)) for p in summary.problems] == [
        (7, "Not loaded: row 8 of the same order is bad."),
        (8, "Quantity “dua” must be a whole number from 1 to 10000."),
    ]
    assert await items("INV-1") == [
        ("Kaos Polos", "Hitam", "L", 2, 75_000),
        ("Hijab Voal", "Mocca", None, 1, 45_000),
    ]
    # No price in the sheet: the catalog's.
    assert await items("INV-3") == [("Tote Bag Kanvas", None, None, 3, 35_000)]
    inv1, inv2, inv3 = [await Order.get(external_ref=r) for r in ("INV-1", "INV-2", "INV-3")]
    assert (inv1.total, inv1.status, inv1.channel) == (195_000, "selesai", "import")
    assert inv1.created_at == at(2026, 10, 5)  # dd/mm/yyyy, midnight in the shop
    assert inv2.created_at == at(2026, 10, 15)  # Excel serial 46310
    assert inv3.created_at == at(2026, 11, 1, 14, 30)  # a real date cell
    assert not await Order.filter(external_ref="INV-4").exists()  # its bad item kept it out

    siti = await Customer.get(phone_index=phone_index("+6281234567890"))
    assert (siti.name, siti.phone_verified) == ("Siti Aminah", True)
    assert (siti.orders_count, siti.total_spent) == (2, 300_000)
    assert (siti.first_order_at, siti.last_order_at) == (inv1.created_at, inv3.created_at)
    budi = await Customer.get(phone_index=phone_index("+6281311112222"))
    assert (budi.orders_count, budi.total_spent) == (1, 150_000)


async def test_importing_the_same_sales_sheet_again_adds_nothing(store: str, tmp_path: Path):
    await add_sample_catalog()
    path = orders_xlsx(tmp_path / "penjualan.xlsx")
    await import_orders(path, START, JAKARTA)

    again = await import_orders(path, START, JAKARTA)

    assert (again.added, again.unchanged, again.customers_added, again.bad) == (0, 4, 0, 2)
    assert await Order.all().count() == 3
    assert await OrderItem.all().count() == 4
    siti = await Customer.get(phone_index=phone_index("+6281234567890"))
    assert (siti.orders_count, siti.total_spent) == (2, 300_000)


async def test_imported_history_and_chat_orders_count_together(store: str, tmp_path: Path):
    await add_sample_catalog()
    siti = await Customer.create(name="Siti", phone="+6281234567890", created_at=START,
                                 updated_at=START)  # fmt: skip
    product = await Product.get(name="Kaos Polos")
    kaos = CatalogItem(product.id, product.name, product.price, ("Hitam",), ("L",))
    line = OrderLine(kaos, "Hitam", "L", 1)
    where = Shipping("Siti", "Jl. Darmo", "Surabaya", None)
    await place_order(siti, [line], where, "telegram", START)
    path = tmp_path / "lama.csv"
    path.write_text(
        "tanggal;no hp;produk;harga;status\n"
        "01/03/2025;0812-3456-7890;Kaos Polos;Rp 70.000;selesai\n"
        "02/04/2025;0812-3456-7890;Kemeja Batik;Rp 140.000;batal\n"
    )

    summary = await import_orders(path, START, JAKARTA)

    assert (summary.added, summary.customers_added) == (2, 0)
    siti = await Customer.get(id=siti.id)
    # A cancelled order is not a purchase; the chat order is still the last.
    assert (siti.orders_count, siti.total_spent) == (2, 145_000)
    assert (siti.first_order_at, siti.last_order_at) == (at(2025, 3, 1), START)


async def test_an_orders_rows_apart_are_reported(store: str, tmp_path: Path):
    path = tmp_path / "acak.csv"
    path.write_text(
        "order,date,phone,product,price\n"
        "A1,2026-10-01,081234567890,Topi,20000\n"
        "A2,2026-10-01,081311112222,Topi,20000\n"
        "A1,2026-10-01,081234567890,Sabuk,30000\n"
        "A3,2026-10-02,081311112222,Gelang,\n"
    )

    summary = await import_orders(path, START, JAKARTA)

    assert [(p.row, str(p.reason)) for p in summary.problems] == [
        (4, "This order began on row 2; keep an order's rows together."),
        (5, "No price, and “Gelang” is not in the catalog; write the price."),
    ]
    assert sorted(await Order.all().values_list("external_ref", flat=True)) == ["A1", "A2"]
