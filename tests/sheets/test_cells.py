"""Cells as shops fill them in: prices, dates, genders, ages, headers."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from crm_core.sheets import cells as sheet_cells
from crm_core.sheets.files import header_key

JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("Rp 150.000", 150_000),
        ("150.000", 150_000),
        ("150,000", 150_000),
        ("150000", 150_000),
        ("Rp150.000,00", 150_000),
        ("150,000.00", 150_000),
        (150000, 150_000),
        (150000.0, 150_000),
    ],
)
def test_prices(cell: object, value: int):
    assert sheet_cells.rupiah(cell) == value


@pytest.mark.parametrize("cell", ["gratis", "12.5", "-5000", 0, 1.5, "Rp 2.000.000.000"])
def test_prices_that_are_not(cell: object):
    with pytest.raises(ValueError):
        sheet_cells.rupiah(cell)


@pytest.mark.parametrize(
    ("cell", "local"),
    [
        ("05/10/2026", datetime(2026, 10, 5)),  # 5 October: day first, as Indonesia writes
        ("5-10-2026 14:30", datetime(2026, 10, 5, 14, 30)),
        ("2026-10-05", datetime(2026, 10, 5)),
        ("2026-10-05 08:15", datetime(2026, 10, 5, 8, 15)),
        (46300, datetime(2026, 10, 5)),  # an Excel serial
        ("46300", datetime(2026, 10, 5)),
        (46300.5, datetime(2026, 10, 5, 12)),
        (date(2026, 10, 5), datetime(2026, 10, 5)),
        (datetime(2026, 10, 5, 9), datetime(2026, 10, 5, 9)),
    ],
)
def test_dates_are_in_the_shops_time_zone(cell: object, local: datetime):
    assert sheet_cells.moment(cell, JAKARTA) == local.replace(tzinfo=JAKARTA)


@pytest.mark.parametrize("cell", ["31/02/2026", "besok", "12", "2026/13/01"])
def test_dates_that_are_not(cell: str):
    with pytest.raises(ValueError, match="dd/mm/yyyy or yyyy-mm-dd"):
        sheet_cells.moment(cell, JAKARTA)


def test_genders_ages_and_phones():
    assert [sheet_cells.gender(g) for g in ("L", "p", "Laki-laki", "PEREMPUAN", "Male", "F")] == [
        "m", "f", "m", "f", "m", "f",
    ]  # fmt: skip
    assert [sheet_cells.age_band(a) for a in (17, "18", "27 tahun", "25-34", 60.0)] == [
        "<18", "18-24", "25-34", "25-34", "55+",
    ]  # fmt: skip
    assert sheet_cells.phone(81234567890) == "+6281234567890"  # Excel ate the leading 0
    assert sheet_cells.phone(6281234567890.0) == "+6281234567890"
    assert sheet_cells.phone("+62 812-3456-7890") == "+6281234567890"


def test_headers_however_they_are_written():
    assert header_key("No. HP") == header_key(" no  hp ") == header_key("NO_HP") == "no hp"
    assert header_key("Jenis Kelamin (L/P)") == "jenis kelamin"
    assert header_key("E-mail") == "e mail"
