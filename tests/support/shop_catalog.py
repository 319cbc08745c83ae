"""The catalog and shop file whole-conversation tests run against: products shoppers
mix up (two kinds of kaos), aliases, a sold-out colour, a sold-out product, and the
sample shop file's per-city shipping and payment answer."""

from __future__ import annotations

from bot.conversation.engine import Engine
from crm_core.models import Product
from crm_core.sales.catalog import CatalogCache
from message_templates import Texts
from tests.support.chat import START
from tests.understanding.shop import sample_shop

CATALOG = [
    # name, price, colours, sizes, aliases, stock, sold out
    ("Kaos Polos", 75_000, ["Hitam", "Putih", "Navy"], ["S", "M", "L", "XL"], [], None, ["Navy"]),
    ("Kaos Oversize", 95_000, ["Hitam", "Putih", "Sage"], ["M", "L", "XL"], [], None, []),
    ("Kemeja Batik", 150_000, ["Coklat", "Biru"], ["M", "L", "XL"], ["batik"], None, []),
    ("Hijab Voal", 45_000, ["Mocca", "Hitam"], [], ["jilbab", "kerudung"], None, []),
    ("Topi Baseball", 50_000, ["Merah", "Hitam"], [], ["topi"], None, []),
    ("Tote Bag Kanvas", 35_000, [], [], ["totebag"], 0, []),
]


async def add_catalog() -> None:
    for name, price, colours, sizes, aliases, stock, sold_out in CATALOG:
        await Product.create(
            name=name, price=price, colours=colours, sizes=sizes, aliases=aliases, stock=stock,
            sold_out=sold_out, updated_at=START,
        )  # fmt: skip


def shop_engine() -> Engine:
    """An engine on that catalog (read afresh every message) and the sample shop file."""
    return Engine(Texts(), catalog=CatalogCache(check_every=0), shop=sample_shop())
