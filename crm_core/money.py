"""Rupiah as shoppers write it: ``Rp150.000``."""

from babel.numbers import format_decimal


def rupiah(amount: int) -> str:
    # Babel's Indonesian grouping is the dot; currency formatting would add a space and
    # decimals ("Rp 150.000,00"), which is not how shops write prices in chat.
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{format_decimal(abs(amount), locale='id_ID')}"
