"""Reading the items a message names: product, colour, size and quantity, one item or
several ("kaos hitam L 2, hijab mocca 1"), forgiving typos and the shop's own words."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.understanding.catalog_words import CatalogWords
from bot.understanding.reading import Mention
from bot.understanding.words import MONEY, PHONE, SEPARATOR

# Words that join two items: "kaos hitam sama hijab mocca", "... and a red cap".
JOINERS = {SEPARATOR, "sama", "dan", "and", "plus", "&", "terus", "juga", "serta", "with"}
SIZE_MARKERS = {"ukuran", "size"}
# Numbers right after these are not quantities: a time, a date, a sum, part of an address.
NOT_QUANTITY_AFTER = {"jam", "tanggal", "tgl", "pukul", "nomor", "no", "invoice", "inv",
                      "hari", "minggu", "bulan", "rp", "at", "on", "day", "days", "ke", "rt",
                      "rw", "blok", "jl", "jalan", "gang", "gg", "kav", "kode", "kelas", "kali",
                      "times", "cup", "tahun", "year"}  # fmt: skip
# Words after which the rest of the message is an address or a name, not items.
STOP = {"alamat", "address", "atas", "kirim", "dikirim", "ship", "deliver", "to"}
NOT = {"jangan", "bukan", "not", "tidak", "no", "instead", "selain", "besides"}
EACH = {"masing", "each", "semua", "all", "per"}
NOT_QUANTITY_BEFORE = {"hari", "minggu", "bulan", "tahun", "jam", "menit", "days", "day", "weeks",
                       "hours", "rb", "ribu", "k", "persen", "cm", "kg", "gram"}  # fmt: skip
MAX_DIGITS = 6


@dataclass
class _Item:
    products: set[int] = field(default_factory=set)
    words: list[str] = field(default_factory=list)  # the product words that named it
    colour: str | None = None
    size: str | None = None
    quantity: int | None = None
    more: int | None = None
    joined: bool = False  # a joiner came after this item began


class ItemReader:
    def __init__(self, catalog: CatalogWords, numbers: dict[str, int],
                 multipliers: dict[str, int], units: set[str]) -> None:  # fmt: skip
        self.catalog = catalog
        self.numbers = numbers
        self.multipliers = multipliers
        self.units = units

    def product_word(self, token: str) -> str | None:
        if token in self.catalog.product_words:
            return token
        if token in self.catalog.colours or token in self.catalog.known_colours:
            return None
        found = self.catalog.fuzzy(token)
        return found if found in self.catalog.product_words else None

    def colour_word(self, token: str) -> str | None:
        if token in self.catalog.colours or token in self.catalog.known_colours:
            return token
        return None

    def size_word(self, token: str, after_marker: bool) -> str | None:
        if token in self.catalog.sizes:
            # A lone "s", "m" or "l" is a size only where one is expected, or when the
            # catalog has it; digits only when the catalog has them as sizes.
            return token
        if token in self.catalog.known_sizes and (after_marker or len(token) > 1):
            return token
        return None

    def read(self, tokens: tuple[str, ...], known: set[str]) -> tuple[Mention, ...]:
        items: list[_Item] = []
        pending = _Item()
        current: _Item | None = None
        i = 0
        n = len(tokens)
        each = False
        while i < n:
            token = tokens[i]
            before = tokens[i - 1] if i else ""
            if token in EACH and (not i or tokens[i - 1] != "ukuran"):
                each = True
            if token in STOP and items and (token != "to" or before in ("ship", "send")):
                break
            if before in NOT:
                i += 1  # "2 aja jangan 3", "brown, not blue": the one not wanted
                continue
            if token in JOINERS:
                if current is not None:
                    current.joined = True
                i += 1
                continue
            word = (
                None
                if token in known and token not in self.catalog.product_words
                else (self.product_word(token))
            )
            if word is not None:
                ids = self.catalog.product_words[word]
                if (
                    current is not None
                    and not current.joined
                    and current.products & ids
                    and (before not in JOINERS)
                ):
                    current.products &= ids
                    current.words.append(word)
                else:
                    current = _Item(set(ids), [word])
                    items.append(current)
                    if not pending_empty(pending):
                        _merge(current, pending)
                        pending = _Item()
                i += 1
                continue
            if token.isdecimal() and current is not None and before in current.words:
                numbered = {p for p in current.products if token in self.catalog.own_words[p]}
                if numbered:
                    current.products = numbered  # "kemeja motif seri 2"
                    current.words.append(token)
                    i += 1
                    continue
            colour = self.colour_word(token)
            size = None if colour else self.size_word(token, before in SIZE_MARKERS)
            if size is None and token.isdecimal() and before in SIZE_MARKERS:
                size = token  # "ukuran 29": a size, even one the catalog lacks
            if colour or size:
                if (
                    current is not None
                    and current.joined
                    and self._names_product_next(tokens, i + 1, known)
                ):
                    target = pending  # "... and 1 red topi": the next product's colour
                else:
                    target = self._target(current, pending, "colour" if colour else "size", items)
                if target is pending and getattr(pending, "colour" if colour else "size"):
                    # "hitam 2 putih 1" with no product named: two items, not one.
                    items.append(pending)
                    pending = _Item()
                    target = pending
                if target is not current and target is not pending:
                    current = target
                if colour:
                    target.colour = colour
                else:
                    target.size = size
                i += 1
                continue
            quantity, used = self._quantity(tokens, i)
            if token == "one" and (before == "the" or word_before(self, before)):
                quantity = None  # "the oversized one": which, not how many
            if quantity is not None and before not in NOT_QUANTITY_AFTER:
                after = tokens[i + used] if i + used < n else ""
                if after not in NOT_QUANTITY_BEFORE:
                    more = before in ("tambah", "add") or after in ("lagi", "more")
                    # "2 kaos hitam": a number before a product is that product's, when
                    # the item before it already has its number (or there is none).
                    forward = (
                        current is None or current.quantity is not None or current.joined
                    ) and self._names_product_next(tokens, i + used, known)
                    target = pending if (forward or current is None) else current
                    if target.quantity is not None and target is current:
                        target = self._target(current, pending, "quantity", items)
                        current = target if target is not pending else current
                    if more:
                        target.more = quantity
                    else:
                        target.quantity = quantity
                i += used
                continue
            i += 1
        if not pending_empty(pending):
            if (
                items
                and items[0].quantity is None
                and pending.colour is None
                and (pending.size is None)
            ):
                _merge(items[0], pending)
            else:
                items.append(pending)
        named = any(item.products for item in items)
        for item in items:
            if named and item.more is not None and item.quantity is None:
                # "tambah 2 hijab": two hijabs, not two more of something.
                item.quantity, item.more = item.more, None
        if each:
            number = next((it.quantity for it in items if it.quantity is not None), None)
            for item in items:
                item.quantity = number if item.quantity is None else item.quantity
        return tuple(self._mention(item) for item in _distinct(items))

    def _target(self, current: _Item | None, pending: _Item, slot: str,
                items: list[_Item]) -> _Item:  # fmt: skip
        if current is None:
            return pending
        if getattr(current, slot) is None:
            return current
        if current.joined:
            # "kaos polos hitam L 2, putih M 1": a second item of the same product, with
            # the first one's colour or size unless it says its own.
            fresh = _Item(set(current.products), list(current.words))
            fresh.colour, fresh.size = current.colour, current.size
            setattr(fresh, slot, None)
            items.append(fresh)
            return fresh
        return current

    def _names_product_next(self, tokens: tuple[str, ...], start: int, known: set[str]) -> bool:
        for token in tokens[start : start + 3]:
            if token in self.units or token in ("yang", "buah", "biji", "plain", "polos"):
                continue
            if token in JOINERS:
                return False
            return (token not in known or token in self.catalog.product_words) and (
                self.product_word(token) is not None
            )
        return False

    def _quantity(self, tokens: tuple[str, ...], i: int) -> tuple[int | None, int]:
        """A number at ``tokens[i]`` and how many tokens it took: ``2``, ``dua``,
        ``2 lusin``, ``setengah lusin``, ``x 2``."""
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in (MONEY, PHONE):
            return None, 1
        if token == "setengah" and nxt in self.multipliers:
            return self.multipliers[nxt] // 2, 2
        if token == "half" and nxt in ("dozen", "a"):
            return 6, 3 if nxt == "a" else 2
        if token == "x" and nxt.isdecimal() and len(nxt) <= MAX_DIGITS:
            return int(nxt), 2
        value: int | None = None
        if token.isdecimal() and len(token) <= MAX_DIGITS:
            value = int(token)
        elif token in self.numbers:
            value = self.numbers[token]
        elif token in self.multipliers and not (i and tokens[i - 1].isdecimal()):
            return self.multipliers[token], 1
        if value is None:
            return None, 1
        if nxt in self.multipliers:
            return value * self.multipliers[nxt], 2
        return value, 1

    def _mention(self, item: _Item) -> Mention:
        ids = item.products
        if len(ids) > 1:
            ids = self._best(item)
        colour_token, size_token = item.colour, item.size
        if len(ids) > 1 and (colour_token or size_token):
            # An option only some of them have decides between them: "kaos navy".
            fitting = {
                p for p in ids
                if (not colour_token or self.catalog.colour_of(colour_token, p))
                and (not size_token or self.catalog.size_of(size_token, p))
            }  # fmt: skip
            ids = fitting or ids
        products = tuple(sorted((self.catalog.products[p] for p in ids), key=lambda p: p.name))
        only = products[0].id if len(products) == 1 else None
        return Mention(
            products,
            self._option(self.catalog.colours, colour_token, only),
            self._option(self.catalog.sizes, size_token, only),
            item.quantity,
            item.more,
        )

    def _best(self, item: _Item) -> set[int]:
        words = set(item.words)
        scored = {
            p: (len(words & self.catalog.own_words[p]),
                len(words & self.catalog.own_words[p]) - self.catalog.name_length[p])
            for p in item.products
        }  # fmt: skip
        top = max(score[0] for score in scored.values())
        tied = {p for p, score in scored.items() if score[0] == top}
        # All of one product's name said ("kaos polos") beats part of another's.
        full = {p for p in tied if scored[p][1] >= 0}
        return full if len(full) == 1 else tied

    @staticmethod
    def _option(
        table: dict[str, dict[int, str]], token: str | None, product: int | None
    ) -> str | None:
        if token is None:
            return None
        names = table.get(token, {})
        if product is not None and product in names:
            return names[product]
        if names:
            return sorted(names.values())[0]
        return token.replace("_", " ").title() if not token.isdecimal() else token


def word_before(reader: ItemReader, token: str) -> bool:
    return bool(token) and (
        token in reader.catalog.product_words or reader.colour_word(token) is not None
    )


def _distinct(items: list[_Item]) -> list[_Item]:
    """Items without a repeat: "celana harganya berapa, yang chino" names one product."""
    kept: list[_Item] = []
    for item in items:
        bare = pending_empty(item)
        if bare and any(k.products == item.products for k in kept):
            continue
        if kept and pending_empty(kept[-1]) and kept[-1].products == item.products:
            kept[-1] = item
            continue
        kept.append(item)
    return kept


def pending_empty(item: _Item) -> bool:
    return (
        item.colour is None and item.size is None and item.quantity is None and (item.more is None)
    )


def _merge(into: _Item, extra: _Item) -> None:
    into.colour = into.colour or extra.colour
    into.size = into.size or extra.size
    into.quantity = into.quantity if into.quantity is not None else extra.quantity
    into.more = into.more if into.more is not None else extra.more
