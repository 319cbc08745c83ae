"""The catalog: products as the engine sees them, a cache of them, and an order line.
Reading what a customer typed ("kaos hitam L 2") is bot.understanding's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.functions import Count, Max

from crm_core.models import OptionStock, Product

MAX_QUANTITY = 100

# Small numbers as people type them in chat, in both languages.
NUMBER_WORDS = {
    "satu": 1,
    "se": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


@dataclass(frozen=True)
class CatalogItem:
    id: int
    name: str
    price: int
    colours: tuple[str, ...]
    sizes: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    option_aliases: tuple[tuple[str, str], ...] = ()  # (customer's word, option)
    stock: int | None = None  # None: the shop does not count it
    sold_out: tuple[str, ...] = ()  # colours or sizes not available for now
    option_stock: tuple[tuple[str, int], ...] = ()  # (colour or size, how many left)

    @property
    def available(self) -> bool:
        return self.stock is None or self.stock > 0

    def option_available(self, option: str | None) -> bool:
        """Not marked sold out, and not counted down to nothing."""
        if option is None:
            return True
        wanted = option.casefold()
        if wanted in {o.casefold() for o in self.sold_out}:
            return False
        return all(left > 0 for name, left in self.option_stock if name.casefold() == wanted)


@dataclass(frozen=True)
class Catalog:
    items: tuple[CatalogItem, ...] = ()

    def get(self, product_id: int) -> CatalogItem | None:
        return next((item for item in self.items if item.id == product_id), None)

    def by_name(self, name: str) -> CatalogItem | None:
        wanted = name.strip().casefold()
        return next((i for i in self.items if i.name.casefold() == wanted), None)


async def load_catalog() -> Catalog:
    rows = await Product.filter(active=True).order_by("name")
    counted: dict[int, list[tuple[str, int]]] = {}
    for product_id, option, left in (
        await OptionStock.all().order_by("id").values_list("product_id", "option", "stock")
    ):
        counted.setdefault(product_id, []).append((option, left))
    return Catalog(
        tuple(
            CatalogItem(
                p.id,
                p.name,
                p.price,
                tuple(p.colours or ()),
                tuple(p.sizes or ()),
                tuple(p.aliases or ()),
                tuple(sorted((p.option_aliases or {}).items())),
                p.stock,
                tuple(p.sold_out or ()),
                tuple(counted.get(p.id, ())),
            )
            for p in rows
        )
    )


@dataclass
class CatalogCache:
    """Keeps the active catalog in memory and reloads it when the store's copy changes.

    Another process (``langgan products import``) may change the products, so the cache
    asks the store for a cheap fingerprint (count and newest change) at most every
    ``check_every`` seconds instead of reading the catalog on every message. ``now`` is
    a monotonic clock's reading, in seconds, given by the caller."""

    check_every: float = 5.0
    _catalog: Catalog = field(default_factory=Catalog)
    _fingerprint: tuple[int, datetime | None] | None = None
    _checked_at: float = float("-inf")

    async def get(self, now: float) -> Catalog:
        if now - self._checked_at >= self.check_every:
            self._checked_at = now
            # Active products' count and newest change: an edit, a new product, and a
            # product switched off or deleted all change it.
            row = (
                await Product.filter(active=True)
                .annotate(n=Count("id"), newest=Max("updated_at"))
                .first()
                .values("n", "newest")
            )
            fingerprint = (row["n"], row["newest"]) if row else (0, None)
            if fingerprint != self._fingerprint:
                self._catalog = await load_catalog()
                self._fingerprint = fingerprint
        return self._catalog

    def invalidate(self) -> None:
        self._checked_at = float("-inf")


@dataclass(frozen=True)
class OrderLine:
    """What a customer asked for; any of colour, size, quantity may still be missing."""

    product: CatalogItem
    colour: str | None = None
    size: str | None = None
    quantity: int | None = None

    @property
    def complete(self) -> bool:
        return (
            (self.colour is not None or not self.product.colours)
            and (self.size is not None or not self.product.sizes)
            and self.quantity is not None
        )

    @property
    def total(self) -> int:
        return self.product.price * (self.quantity or 0)


_WORD = re.compile(r"[\w-]+", re.UNICODE)


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def parse_quantity(text: str) -> int | None:
    """A whole number as typed (``2``, ``dua``, ``2 pcs``); None when it is not one.
    Range checks are the caller's, so it can say what was wrong."""
    number = re.match(r"\s*([-+]?\d{1,9})(?!\d)", text)
    if number:
        return int(number.group(1))
    tokens = words(text)
    if not tokens:
        return None
    first = tokens[0]
    return NUMBER_WORDS.get(first)
