"""Rupiah as shoppers write it: ``Rp150.000``, and short where space is tight (a chart's
axis): ``Rp1,2 jt`` in Indonesian, ``Rp1.2M`` in English."""

import re

from babel.numbers import format_compact_decimal, format_decimal

# Babel's own compact forms: "rb", "jt", "M" (miliar), "T" in Indonesian; K, M, B, T in
# English (en_ID: Indonesia's English, which groups digits as Indonesian does, would write
# "1,2M"; a reader in English expects the point).
COMPACT_LOCALES = {"id": "id_ID", "en": "en"}


def rupiah(amount: int) -> str:
    # Babel's Indonesian grouping is the dot; currency formatting would add a space and
    # decimals ("Rp 150.000,00"), which is not how shops write prices in chat.
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{format_decimal(abs(amount), locale='id_ID')}"


def rupiah_short(amount: int, lang: str = "id") -> str:
    """``Rp150 rb``, ``Rp1,25 jt``, ``Rp12,5 jt``, ``Rp2,5 M``: three significant digits,
    enough to tell two ticks of an axis apart; English ``Rp150K``, ``Rp1.25M``."""
    sign, whole = ("-" if amount < 0 else ""), abs(amount)
    # Digits past the first within the group of three (1.25, 12.5, 125): the fraction
    # keeps three significant digits in all.
    fraction = 2 - (len(str(whole)) - 1) % 3
    short = format_compact_decimal(
        whole, locale=COMPACT_LOCALES.get(lang, "id_ID"), fraction_digits=fraction
    )
    return f"{sign}Rp{short}"


_AMOUNT = re.compile(
    r"^(?:rp\.?\s*)?(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d{1,2})?)\s*(rb|ribu|k|jt|juta)?$",
    re.IGNORECASE,
)
_GROUPED = re.compile(r"\d{1,3}(?:[.,]\d{3})+")
_SCALE = {"rb": 1_000, "ribu": 1_000, "k": 1_000, "jt": 1_000_000, "juta": 1_000_000}


def parse_rupiah(text: str) -> int | None:
    """An amount as staff type it: ``15000``, ``15.000``, ``Rp15.000``, ``15rb``, ``15k``,
    ``1,5jt``; None for anything else. Dots and commas between groups of three digits
    are thousands (Indonesian and English alike); otherwise a comma or dot before one
    or two digits is a decimal of a scaled amount (``1,5jt``)."""
    match = _AMOUNT.match(text.strip())
    if match is None:
        return None
    digits, unit = match.group(1), (match.group(2) or "").casefold()
    if _GROUPED.fullmatch(digits):
        value = float(re.sub(r"[.,]", "", digits))
    elif unit:
        value = float(digits.replace(",", "."))
    elif digits.isdecimal():
        value = float(digits)
    else:
        return None  # "15.5": not whole rupiah
    return round(value * _SCALE.get(unit, 1))
