"""The four products the ``engine`` fixture's shop sells."""

from __future__ import annotations

from crm_core.models import Product
from tests.support.chat import START


async def add_sample_catalog() -> None:
    if await Product.exists():
        return
    for name, price, colours, sizes in (
        ("Kaos Polos", 75_000, ["Hitam", "Putih", "Navy"], ["S", "M", "L", "XL"]),
        ("Kemeja Batik", 150_000, ["Coklat", "Biru"], ["M", "L", "XL"]),
        ("Hijab Voal", 45_000, ["Mocca", "Hitam"], []),
        ("Tote Bag Kanvas", 35_000, [], []),
    ):
        await Product.create(name=name, price=price, colours=colours, sizes=sizes, updated_at=START)
