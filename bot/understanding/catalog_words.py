"""The catalog as words: which tokens name which products, colours and sizes, and a
forgiving look-up for the words a customer misspells.

Built once per catalog version (the engine keeps it with the catalog), so a message
costs dictionary look-ups, plus one fuzzy search per unknown word (remembered)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from crm_core.sales.catalog import CatalogItem

# A misspelling is accepted when it is this close to a catalog word (rapidfuzz's ratio,
# 0-100): one letter left out or added in a five-letter word ("hjab", "kemja") passes,
# one letter changed in a short word ("putri" for "putih") does not.
FUZZY_CUTOFF = 85
FUZZY_MIN_LENGTH = 4
FUZZY_MEMORY = 5_000


def key(tokens: Iterable[str]) -> str:
    """One token for a name of several words: ``dusty pink`` -> ``dusty_pink``."""
    return "_".join(tokens)


@dataclass
class CatalogWords:
    products: dict[int, CatalogItem] = field(default_factory=dict)
    # A token of a product's name or nickname -> the products it belongs to.
    product_words: dict[str, set[int]] = field(default_factory=dict)
    # Each product's own words (name and nicknames), and its name's word count.
    own_words: dict[int, set[str]] = field(default_factory=dict)
    name_length: dict[int, int] = field(default_factory=dict)
    # A colour or size token -> the option's name in each product that has it.
    colours: dict[str, dict[int, str]] = field(default_factory=dict)
    sizes: dict[str, dict[int, str]] = field(default_factory=dict)
    # Colour and size tokens known from the lexicon, whether or not anything has them.
    known_colours: set[str] = field(default_factory=set)
    known_sizes: set[str] = field(default_factory=set)
    fuzzy_targets: list[str] = field(default_factory=list)
    _fuzzy_memory: dict[str, str | None] = field(default_factory=dict)

    def add_product(
        self, item: CatalogItem, name: tuple[str, ...], nicknames: list[tuple[str, ...]]
    ) -> None:
        self.products[item.id] = item
        own = set(name)
        for nickname in nicknames:
            own.update(nickname)
        own.discard("")
        self.own_words[item.id] = own
        self.name_length[item.id] = len(name)
        for word in own:
            # A number in a name ("Seri 2") names the product only right after its other
            # words (see ItemReader); alone it is a quantity.
            if not word.isdecimal():
                self.product_words.setdefault(word, set()).add(item.id)

    def add_option(
        self, table: dict[str, dict[int, str]], token: str, item: CatalogItem, option: str
    ) -> None:
        table.setdefault(token, {})[item.id] = option

    def finish(self) -> None:
        targets = set(self.product_words) | self.known_colours | set(self.colours)
        self.fuzzy_targets = sorted(t for t in targets if len(t) >= FUZZY_MIN_LENGTH)

    def fuzzy(self, token: str) -> str | None:
        """The catalog word a misspelt token stands for, or None."""
        if len(token) < FUZZY_MIN_LENGTH or not token.isalpha():
            return None
        if token in self._fuzzy_memory:
            return self._fuzzy_memory[token]
        found = process.extractOne(
            token, self.fuzzy_targets, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        # Typos rarely touch the first letter; requiring it keeps ordinary words
        # ("kamis", "hitung") from turning into products or colours.
        best = found[0] if found and found[0][0] == token[0] else None
        if len(self._fuzzy_memory) < FUZZY_MEMORY:
            self._fuzzy_memory[token] = best
        return best

    def colour_of(self, token: str, product_id: int) -> str | None:
        return self.colours.get(token, {}).get(product_id)

    def size_of(self, token: str, product_id: int) -> str | None:
        return self.sizes.get(token, {}).get(product_id)
