"""The catalog from a spreadsheet: good rows load, bad rows are named by row number."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_core.errors import InputError
from crm_core.models import Product
from crm_core.sales.catalog_import import import_products, parse_price
from tests.support.chat import START


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("150000", 150_000),
        ("150.000", 150_000),
        ("Rp 150.000", 150_000),
        ("Rp150.000", 150_000),
        ("150,000", 150_000),
        ("1.250.000", 1_250_000),
        ("75000.00", 75_000),
        ("rp. 45.000", 45_000),
    ],
)
def test_prices_as_shops_write_them(text: str, value: int):
    assert parse_price(text) == value


@pytest.mark.parametrize("text", ["gratis", "12.5", "-5000", "1,5"])
def test_prices_that_are_not_whole_rupiah(text: str):
    with pytest.raises(ValueError):
        parse_price(text)


async def test_good_rows_load_and_bad_rows_are_reported(store: str, tmp_path: Path):
    path = tmp_path / "katalog.csv"
    path.write_text(
        "name,price,colours,sizes\n"
        "Kaos Polos,75000,Hitam|Putih,S|M|L\n"
        ",50000,,\n"
        "Topi,gratis,,\n"
        "\n"
        "Tote Bag,Rp 35.000,,\n"
        "kaos polos,80000,,\n"
        "Sandal,0,,\n",
        encoding="utf-8",
    )
    report = await import_products(path, START)
    assert report.created == ["Kaos Polos", "Tote Bag"]
    assert [(e.row, str(e.reason)) for e in report.errors] == [
        (3, "The name is empty."),
        (4, "Topi: the price “gratis” is not a whole number of rupiah."),
        (7, "“kaos polos” is already on row 2."),
        (8, "Sandal: the price must be between 1 and 1000000000."),
    ]
    kaos = await Product.get(name="Kaos Polos")
    assert (kaos.price, kaos.colours, kaos.sizes) == (75_000, ["Hitam", "Putih"], ["S", "M", "L"])


async def test_importing_again_updates_by_name_and_changes_nothing_else(store: str, tmp_path: Path):
    path = tmp_path / "katalog.csv"
    path.write_text("nama;harga;warna;ukuran\nKaos Polos;75.000;Hitam;M\n", encoding="utf-8")
    await import_products(path, START)
    path.write_text("nama;harga;warna;ukuran\nKAOS POLOS;80.000;Hitam|Navy;M\n", encoding="utf-8")
    report = await import_products(path, START)
    assert report.updated == ["KAOS POLOS"] and report.created == []
    assert await Product.all().count() == 1
    assert (await Product.get()).price == 80_000


async def test_excel_windows_encoding_is_read(sqlite_store: str, tmp_path: Path):
    path = tmp_path / "katalog.csv"
    path.write_bytes("name,price\nKaos Café,75000\n".encode("cp1252"))
    report = await import_products(path, START)
    assert report.created == ["Kaos Café"]


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "empty"), ("produk_id,stok\n1,5\n", "no name / price column")],
)
async def test_files_that_are_not_a_catalog_are_refused_whole(
    sqlite_store: str, tmp_path: Path, content: str, message: str
):
    path = tmp_path / "katalog.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        await import_products(path, START)
    assert await Product.all().count() == 0


async def test_a_missing_file_is_named(sqlite_store: str, tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        await import_products(tmp_path / "nope.csv", START)


async def test_the_shops_own_words_stock_and_sold_out_options_load(store: str, tmp_path: Path):
    """A shop names what its customers call a product or a colour, how many are left,
    and which options are sold out; a bad stock or an unknown sold-out option is named."""
    from bot.conversation.engine import Engine
    from crm_core.sales.catalog import CatalogCache
    from message_templates import Texts
    from tests.support.chat import Chat

    path = tmp_path / "katalog.csv"
    path.write_text(
        "nama,harga,warna,ukuran,nama lain,stok,habis\n"
        'Kaos Polos,75000,"Hitam (legam, arang)|Putih",S|M|L,kaos basic,12,M\n'
        "Tote Bag,35000,,,totebag,0,\n"
        "Topi,50000,Merah,,,banyak,\n"
        "Syal,40000,Merah,,,,Biru\n",
        encoding="utf-8",
    )
    report = await import_products(path, START)
    assert sorted(report.created) == ["Kaos Polos", "Tote Bag"]
    reasons = [(e.row, str(e.reason)) for e in report.errors]
    assert [(row, "stock" in reason or "not among" in reason) for row, reason in reasons] == [
        (4, True),
        (5, True),
    ]
    kaos = await Product.get(name="Kaos Polos")
    assert (kaos.aliases, kaos.stock, kaos.sold_out) == (["kaos basic"], 12, ["M"])
    assert kaos.option_aliases == {"legam": "Hitam", "arang": "Hitam"}

    chat = Chat(Engine(Texts(), catalog=CatalogCache(check_every=0)), telegram_id=5005)
    await chat.onboard()
    await chat.send("kaos basic arang M 1")
    assert "Kaos Polos M sedang habis" in chat.text and "pilih ukurannya" in chat.text
    assert chat.choices == ("S", "L")
    await chat.send("tote bag 1")
    assert "Tote Bag sedang habis" in chat.text
