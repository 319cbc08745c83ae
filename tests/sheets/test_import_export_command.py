"""``langgan import`` and ``langgan export`` through the real command, as a shop uses them."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from crm_core.insight.segments import SEGMENTS
from tests.support.langgan_cli import langgan
from tests.support.shop_sheets import customers_cp1252_csv, customers_xlsx, orders_xlsx


def report(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_a_shop_loads_its_spreadsheets_and_gets_them_back(tmp_path: Path):
    assert langgan(tmp_path, "products", "import", "--sample").returncode == 0
    sheet = customers_xlsx(tmp_path / "pelanggan.xlsx")

    first = langgan(tmp_path, "import", "customers", "pelanggan.xlsx")

    # Bad rows: the good ones load, the command says so and exits 1 for scripts.
    assert first.returncode == 1, first.stderr
    assert "Traceback" not in first.stderr
    assert "3 ditambahkan" in first.stdout and "2 baris bermasalah" in first.stdout
    assert "pelanggan.xlsx.errors.csv" in first.stderr
    # The report is in the shop's language, as the summary is.
    assert report(tmp_path / "pelanggan.xlsx.errors.csv") == [
        ["baris", "masalah"],
        ["4", "Kolom “Catatan” tidak dikenal; diabaikan."],
        ["9", "Sama dengan baris 5; dilewati."],
        ["10", "Nomor HP “12345” tidak berlaku; tulis seperti 0812-3456-7890."],
        ["11", "Jenis kelamin “X” bukan L/P, laki-laki/perempuan atau M/F."],
    ]
    english = langgan(tmp_path, "import", "customers", "pelanggan.xlsx", "--report", "en.csv",
                      env={"LANGGAN_LOCALE": "en"})  # fmt: skip
    assert "Customers: 0 added" in english.stdout
    assert report(tmp_path / "en.csv")[:2] == [
        ["row", "problem"],
        ["4", "Column “Catatan” is not known; ignored."],
    ]

    again = langgan(tmp_path, "import", "customers", str(sheet), "--report", "laporan.csv")
    assert "0 ditambahkan, 0 digabung ke data yang sudah ada, 3 baris sudah ada" in again.stdout
    assert (tmp_path / "laporan.csv").exists()

    orders_xlsx(tmp_path / "penjualan.xlsx")
    orders = langgan(tmp_path, "import", "orders", "penjualan.xlsx")
    assert "Pesanan: 3 ditambahkan" in orders.stdout, orders.stdout + orders.stderr

    for kind in ("customers", "orders"):
        out = langgan(tmp_path, "export", kind, f"{kind}.xlsx")
        assert out.returncode == 0, out.stderr
        back = langgan(tmp_path, "import", kind, f"{kind}.xlsx")
        assert back.returncode == 0, back.stderr
        assert ": 0 ditambahkan, " in back.stdout
        assert "0 baris ganda dilewati, 0 baris bermasalah." in back.stdout
        assert not (tmp_path / f"{kind}.xlsx.errors.csv").exists()
    # Each customer's segment as of the export: who ordered is in one, who never did is not.
    # The headers are in the shop's language (LANGGAN_LOCALE, Indonesian unless set).
    sheet_rows = list(load_workbook(tmp_path / "customers.xlsx").active.values)
    segment = sheet_rows[0].index("Segmen")
    assert {row[segment] for row in sheet_rows[1:]} <= {*SEGMENTS, None}
    assert any(row[segment] in SEGMENTS for row in sheet_rows[1:])
    english = langgan(tmp_path, "export", "customers", "en.csv", env={"LANGGAN_LOCALE": "en"})
    assert english.returncode == 0, english.stderr
    header = (tmp_path / "en.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("Name,Phone,Email,") and header.endswith(",Langgan ID,Segment")


def test_a_windows_csv_from_the_command_line(tmp_path: Path):
    customers_cp1252_csv(tmp_path / "excel.csv")
    loaded = langgan(tmp_path, "import", "customers", "excel.csv")
    assert "2 ditambahkan" in loaded.stdout, loaded.stdout + loaded.stderr
    exported = langgan(tmp_path, "export", "customers", "out.csv")
    assert exported.returncode == 0
    assert "Zoë Müller" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")


def test_files_that_are_not_spreadsheets_get_a_sentence(tmp_path: Path):
    (tmp_path / "foto.xlsx").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "kosong.csv").write_bytes(b"")
    for name, words in (
        ("foto.xlsx", "ini bukan spreadsheet"),
        ("kosong.csv", "filenya kosong"),
        ("tidak-ada.csv", "file itu tidak ada"),
    ):
        result = langgan(tmp_path, "import", "customers", name)
        assert result.returncode == 2
        assert words in result.stderr and "Traceback" not in result.stderr
    wrong = langgan(tmp_path, "export", "orders", "pesanan.pdf")
    assert wrong.returncode == 2 and "tulis ke file .xlsx atau .csv" in wrong.stderr
