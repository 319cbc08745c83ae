"""Rupiah written the way shoppers write it."""

from __future__ import annotations

from crm_core.sales.money import rupiah


def test_rupiah_as_shoppers_write_it():
    assert [rupiah(x) for x in (150_000, 1_250_000, 0, 500)] == [
        "Rp150.000",
        "Rp1.250.000",
        "Rp0",
        "Rp500",
    ]
