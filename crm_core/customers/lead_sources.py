"""Where a customer found the shop, as one of a few sources the reports count by:
``dr ig kak`` and ``Instagram`` are instagram, ``dikasih tau temen`` is teman. The words
for each are data (``data/lead_sources.toml``); what matches none is lainnya.

Every path that takes a source (the chat's question, the customer import) stores both:
the source here, and the words the person wrote."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from crm_core.customers.cities import key

DATA = Path(__file__).parents[1] / "data" / "lead_sources.toml"
# In the order the chat offers them; "lainnya" (other) last.
SOURCES = ("instagram", "tiktok", "facebook", "whatsapp", "google", "teman", "marketplace",
           "lainnya")  # fmt: skip
OTHER = "lainnya"
MAX_TYPED = 80  # the column's length


@functools.cache
def _words() -> list[tuple[tuple[str, ...], str]]:
    """(the words, the source), longest first, so "google maps" wins over "maps"."""
    data = tomllib.loads(DATA.read_text("utf-8"))
    unknown = set(data) - set(SOURCES)
    if unknown:
        raise ValueError(f"{DATA}: {', '.join(sorted(unknown))} is not one of {SOURCES}")
    found = [(tuple(key(w).split()), source) for source, ws in data.items() for w in ws]
    return sorted(found, key=lambda pair: -len(pair[0]))


def normalise_source(typed: str | None) -> str | None:
    """The source ``typed`` names; None for nothing written. Applying it twice changes
    nothing (each source's own name is among its words)."""
    words = key(typed or "").split()
    if not words:
        return None
    best: tuple[int, str] | None = None
    for phrase, source in _words():
        size = len(phrase)
        for at in range(len(words) - size + 1):
            if tuple(words[at : at + size]) == phrase:
                if best is None or at < best[0]:
                    best = (at, source)
                break
    return best[1] if best else OTHER


def read_source(typed: str | None) -> tuple[str | None, str | None]:
    """``(the source to count by, what was written)``, as a customer row keeps them."""
    text = " ".join((typed or "").split())[:MAX_TYPED]
    return normalise_source(text), text or None
