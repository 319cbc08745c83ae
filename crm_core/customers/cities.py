"""A city as one name to count by, whatever way it was typed: ``Bdg``, ``bandung`` and
``Kota Bandung`` are Bandung, ``Kab. Bandung`` is the regency around it, ``Jogja`` is
Yogyakarta. The list of Indonesia's cities and regencies, and the ways people write
them, is data (``data/city_aliases.toml``). A name not in it is kept as typed, tidied.

Every path that takes a city (the chat, an agent's /baru, the spreadsheet imports, an
order's delivery) stores both: the name here, which reports group by, and the words the
person typed."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parents[1] / "data" / "city_aliases.toml"
MAX_CITY = 80  # the column's length
REGENCY = "Kab. "  # a regency named like a city: "Kab. Bandung"
_PREFIXES = (("kota ", "kota"), ("kabupaten ", "kabupaten"), ("kab ", "kabupaten"))
# Provinces as people add them after the city ("Bandung Jabar", "Sleman, DIY").
_PROVINCE_WORDS = {
    "jabar", "jateng", "jatim", "diy", "dki", "banten", "bali", "ntb", "ntt", "sumut",
    "sumbar", "sumsel", "kalbar", "kalteng", "kalsel", "kaltim", "kaltara", "sulut",
    "sulteng", "sulsel", "sultra", "sulbar", "babel", "kepri", "malut", "papua", "indonesia",
}  # fmt: skip


@dataclass(frozen=True)
class _Place:
    city: str | None  # its name as a city (kota), if it is one
    regency: str | None  # its name as a regency (kabupaten), if it is one

    def named(self, kind: str | None) -> str:
        if kind == "kabupaten" and self.regency:
            return self.regency
        return self.city or self.regency or ""


@dataclass(frozen=True)
class _Names:
    places: dict[str, _Place]  # plain key ("bandung") -> the place
    aliases: dict[str, tuple[str, str | None]]  # alias key -> (place key, fixed kind)
    provinces: frozenset[str]  # province keys, and the words people shorten them to


def key(text: str) -> str:
    """Lower case, with dots, commas, dashes and brackets as spaces: ``Kab. Tojo
    Una-Una`` is ``kab tojo una una``."""
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).replace("_", " ").split())


@functools.cache
def _names() -> _Names:
    data = tomllib.loads(DATA.read_text("utf-8"))
    cities: dict[str, str] = {}
    regencies: dict[str, str] = {}
    provinces = set(_PROVINCE_WORDS)
    for province, table in data["provinces"].items():
        provinces.add(key(province))
        for kind, found in (("kota", cities), ("kabupaten", regencies)):
            for name in table[kind]:
                if key(name) in found:
                    raise ValueError(f"{DATA}: {kind} {name} is listed twice")
                found[key(name)] = name
    places = {
        k: _Place(cities.get(k), None if k not in regencies else
                  f"{REGENCY}{regencies[k]}" if k in cities else regencies[k])
        for k in cities.keys() | regencies.keys()
    }  # fmt: skip
    aliases: dict[str, tuple[str, str | None]] = {}
    for target, spellings in data["aliases"].items():
        fixed, bare = _split_kind(key(target))
        if bare not in places:
            raise ValueError(f"{DATA}: [aliases] {target} is not a city or regency in the list")
        for spelling in spellings:
            alias = key(spelling)
            if alias in places or alias in aliases:
                raise ValueError(f"{DATA}: [aliases] {spelling!r} is already a name")
            aliases[alias] = (bare, fixed)
    return _Names(places, aliases, frozenset(provinces))


def _split_kind(text: str) -> tuple[str | None, str]:
    for prefix, kind in _PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            return kind, text[len(prefix) :]
    return None, text


def _lookup(text: str) -> str | None:
    """The place's name for a key, or None when the list does not know it."""
    names = _names()
    if text in names.aliases:  # first whole: "kota baru" is Kotabaru
        bare, fixed = names.aliases[text]
        return names.places[bare].named(fixed)
    if text in names.places:
        return names.places[text].named(None)
    kind, bare = _split_kind(text)
    if kind is None:
        return None
    if bare in names.places:
        return names.places[bare].named(kind)
    if bare in names.aliases:
        place, fixed = names.aliases[bare]
        # "Kab bdg" is the regency; "kota cikarang" is still Kab. Bekasi, a town's home.
        return names.places[place].named(fixed or kind)
    return None


def _find(text: str) -> str | None:
    """The listed place a typed city names: whole, else the first part before a comma,
    else without the province written after it ("Bandung Jabar")."""
    whole = key(text)
    if (found := _lookup(whole)) is not None:
        return found
    parts = text.split(",")
    for part in parts if len(parts) > 1 else ():
        if (found := _lookup(key(part))) is not None:
            return found
    words = whole.split()
    provinces = _names().provinces
    for cut in range(len(words) - 1, 0, -1):
        if " ".join(words[cut:]) in provinces:
            return _lookup(" ".join(words[:cut]))
    return None


def normalise_city(typed: str | None) -> str | None:
    """The one name a city is counted by; None for nothing typed. Applying it twice
    changes nothing."""
    text = " ".join((typed or "").split())
    if not text:
        return None
    found = _find(text)
    if found is not None:
        return found
    tidy = text.title() if text.islower() or text.isupper() else text
    return tidy[:MAX_CITY]


def read_city(typed: str | None) -> tuple[str | None, str | None]:
    """``(the city to count by, what was typed)``, as a customer row keeps them."""
    text = " ".join((typed or "").split())[:MAX_CITY]
    return normalise_city(text), text or None


def bare_name(city: str | None) -> str:
    """A city's name without "Kab.": what a shop's shipping table names it by."""
    return (city or "").removeprefix(REGENCY)


def place_count() -> int:
    """How many cities and regencies the list names (Jakarta's five cities as one)."""
    return sum(bool(p.city) + bool(p.regency) for p in _names().places.values())
