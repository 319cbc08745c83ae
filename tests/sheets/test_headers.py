"""Headers as shops really write them: in either language, with dots, slashes,
underscores, brackets, in capitals or run together. Each names its column."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crm_core.models import Customer, Order
from crm_core.privacy.sealing import phone_index
from crm_core.sheets.customers import (
    CUSTOMER_ALIASES,
    EXPORT_ONLY,
    import_customers,
    needs_identity,
)
from crm_core.sheets.files import open_sheet
from crm_core.sheets.orders import ORDER_ALIASES, ORDER_EXPORT_ONLY, import_orders, needs
from tests.support.chat import START

JAKARTA = ZoneInfo("Asia/Jakarta")


def customer_columns(tmp_path: Path, *headers: str) -> tuple[dict[str, int], list[str]]:
    path = tmp_path / "sheet.csv"
    path.write_text(",".join(headers) + "\n", encoding="utf-8")
    with open_sheet(path, CUSTOMER_ALIASES, EXPORT_ONLY, required=needs_identity) as sheet:
        return sheet.columns, sheet.unknown


@pytest.mark.parametrize(
    "header",
    ["No HP", "No. HP", "no_hp", "NO HP", "NoHP", "No.HP", "Nomor HP", "Nomor WA", "No. WA",
     "WhatsApp", "WA", "No HP/WA", "Nomor HP (WA)", "HP", "Phone", "Phone number", "Telp/HP"],
)  # fmt: skip
def test_a_phone_column_however_it_is_headed(tmp_path: Path, header: str):
    columns, unknown = customer_columns(tmp_path, "Nama", header)
    assert columns == {"name": 0, "phone": 1} and unknown == []


@pytest.mark.parametrize(
    "column, headers",
    [("consent", ["Izin Promo", "izin_promo", "IZIN PROMO (ya/tidak)", "Consent",
                  "Marketing consent", "Izin Promosi", "Boleh dihubungi?"]),
     ("name", ["Nama", "Nama Lengkap", "nama_lengkap", "Name", "Full name", "Nama Pelanggan"]),
     ("city", ["Kota", "Kota/Kab", "Kota / Kabupaten", "kab_kota", "City", "KOTA/KAB."]),
     ("address", ["Alamat", "Alamat Lengkap", "Address", "Alamat Pengiriman"]),
     ("gender", ["Jenis Kelamin", "Jenis Kelamin (L/P)", "JK", "Gender", "L/P"]),
     ("langgan_id", ["ID Langgan", "Langgan ID", "langgan_id"]),
     ("tags", ["Tag", "Tags", "Label"])],
)  # fmt: skip
def test_each_column_by_its_usual_names(tmp_path: Path, column: str, headers: list[str]):
    for header in headers:
        columns, unknown = customer_columns(tmp_path, "Email", header)
        assert column in columns and unknown == [], header


def test_the_exports_own_figures_are_known_not_unknown(tmp_path: Path):
    _, unknown = customer_columns(
        tmp_path, "Nama", "No HP", "Jumlah Pesanan", "Total Belanja", "Pesanan Pertama",
        "Pesanan Terakhir", "Pelanggan Sejak", "Segmen", "Orders", "Total spent", "No.",
        "Catatan",
    )  # fmt: skip
    assert unknown == ["Catatan"]


async def test_a_sheet_with_headers_of_its_own_loads(store: str, tmp_path: Path):
    path = tmp_path / "kontak.csv"
    path.write_text(
        "NAMA_LENGKAP;Nomor WA;Kota/Kab.;Izin_Promo;E-mail\n"
        "Sari Dewi;0812 2222 3333;Kab. Sleman;ya;Sari@Example.com\n"
        "Andi;+62 813-4444-5555;Kota Malang;tidak;\n",
        encoding="utf-8",
    )
    summary = await import_customers(path, START)

    assert (summary.added, summary.bad, summary.unknown_columns) == (2, 0, [])
    sari = await Customer.get(phone_index=phone_index("+6281222223333"))
    assert (sari.name, sari.city, sari.email, sari.consent_marketing) == (
        "Sari Dewi", "Sleman", "sari@example.com", True,
    )  # fmt: skip
    andi = await Customer.get(phone_index=phone_index("+6281344445555"))
    # The city counted as the one it names, and kept as the sheet wrote it.
    assert (andi.city, andi.city_typed, andi.consent_marketing) == ("Malang", "Kota Malang", False)


async def test_a_sales_sheet_with_a_recipient_of_its_own(store: str, tmp_path: Path):
    """The buyer's number, and where the parcel went: to someone else, in another city."""
    path = tmp_path / "penjualan.csv"
    path.write_text(
        "No. Invoice,Tgl Pesanan,Nama Pembeli,No HP/WA,Nama Barang,Qty,Harga Satuan,"
        "Nama Penerima,No HP Penerima,Alamat Pengiriman,Kota Tujuan\n"
        "A-17,02/11/2026,Lina,081233334444,Kaos Polos,2,75000,Ibu Lina,081255556666,"
        "Jl. Kaliurang 5,Yogyakarta\n",
        encoding="utf-8",
    )
    with open_sheet(path, ORDER_ALIASES, ORDER_EXPORT_ONLY, required=needs) as sheet:
        assert sheet.unknown == []
        assert set(sheet.columns) == {
            "order", "date", "name", "phone", "product", "quantity", "price", "ship_name",
            "ship_phone", "ship_address", "ship_city",
        }  # fmt: skip

    summary = await import_orders(path, START, JAKARTA)

    assert (summary.added, summary.customers_added, summary.bad) == (1, 1, 0)
    order = await Order.get(external_ref="A-17").prefetch_related("customer")
    assert (order.ship_name, order.ship_phone, order.ship_address, order.ship_city) == (
        "Ibu Lina", "+6281255556666", "Jl. Kaliurang 5", "Yogyakarta",
    )  # fmt: skip
    # The buyer is the customer; with no address of their own, they live where it went.
    assert (order.customer.name, order.customer.phone) == ("Lina", "+6281233334444")
    assert (order.customer.address, order.customer.city) == ("Jl. Kaliurang 5", "Yogyakarta")
