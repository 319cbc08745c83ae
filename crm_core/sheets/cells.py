"""Reading one spreadsheet cell as what it means: a phone, a price, a date, a gender, an
age. A cell comes as text from a CSV and as text, a number or a date from an XLSX; each
parser takes either and raises ValueError with a sentence that says what to write."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_core.customers.phones import try_normalize_phone
from crm_core.errors import CellError
from crm_core.sales.catalog_import import parse_price

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
# Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in). Serials between
# these bounds are 1954..2119: outside them a number is not a date anybody meant.
EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_RANGE = (20_000, 80_000)
MAX_PRICE = 1_000_000_000  # a billion rupiah for one item: past that it is a typo
MAX_QUANTITY = 10_000
AGE_BANDS = ((17, "<18"), (24, "18-24"), (34, "25-34"), (44, "35-44"), (54, "45-54"))
KNOWN_BANDS = ("<18", "18-24", "25-34", "35-44", "45-54", "55+")
GENDERS = {
    "l": "m", "laki laki": "m", "lakilaki": "m", "laki": "m", "pria": "m", "cowok": "m",
    "male": "m", "m": "m", "man": "m",
    "p": "f", "perempuan": "f", "wanita": "f", "cewek": "f", "female": "f", "f": "f",
    "w": "f", "woman": "f",
}  # fmt: skip
YES = {"ya", "y", "yes", "iya", "setuju", "boleh", "1", "true", "v", "x", "✓"}
NO = {"tidak", "tdk", "t", "no", "n", "0", "false", "tidak setuju", "tidak boleh"}


def text(value: object) -> str:
    """The cell as one line of text: numbers without a trailing ``.0``, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return " ".join(str(value).split())


def phone(value: object) -> str:
    """E.164. A number cell lost its leading zero in Excel (``812...``); Indonesian
    parsing reads that as the national number all the same."""
    raw = text(value)
    normalised = try_normalize_phone(raw)
    if normalised is None:
        raise CellError("cell_phone", value=raw)
    return normalised


def try_phone(value: object) -> str | None:
    return try_normalize_phone(text(value))


def own_number(value: object) -> int:
    """Langgan's own number for a record, as its export writes it: ``#12``."""
    raw = text(value)
    if not re.fullmatch(r"#\d{1,9}", raw):
        raise CellError("cell_langgan_id", value=raw)
    return int(raw[1:])


def email(value: object) -> str:
    raw = text(value)
    if not EMAIL.match(raw) or len(raw) > 254:
        raise CellError("cell_email", value=raw)
    return raw.casefold()


def rupiah(value: object) -> int:
    """Whole rupiah from ``150000``, ``150.000``, ``150,000``, ``Rp 150.000`` or
    ``Rp150.000,00`` (the accounting form, with cents that are always zero)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        amount = value
    else:
        raw = text(value)
        # "150.000,00" and "150,000.00": the cents go first, then the grouping is plain.
        cleaned = re.sub(r"(?<=\d{3})[.,]00?$", "", raw)
        try:
            amount = parse_price(cleaned)
        except ValueError:
            raise CellError("cell_price", value=raw) from None
    if amount != int(amount) or not 0 < amount <= MAX_PRICE:
        raise CellError("cell_price_range", value=text(value), most=MAX_PRICE)
    return int(amount)


def quantity(value: object) -> int:
    raw = text(value)
    if not raw:
        return 1
    if not raw.isdecimal() or not 1 <= int(raw) <= MAX_QUANTITY:
        raise CellError("cell_quantity", value=raw, most=MAX_QUANTITY)
    return int(raw)


def moment(value: object, tz: ZoneInfo) -> datetime:
    """An aware time from an Excel date cell, an Excel serial number, ``dd/mm/yyyy``
    (how Indonesia writes dates; never read as the American month first),
    ``yyyy-mm-dd``, either with a time. A date alone is midnight in the shop's zone."""
    if isinstance(value, datetime):
        local = value
    elif isinstance(value, date):
        local = datetime.combine(value, time())
    else:
        local = _parse_date_text(text(value))
    return local.replace(tzinfo=tz) if local.tzinfo is None else local


def _parse_date_text(raw: str) -> datetime:
    if re.fullmatch(r"\d+(\.\d+)?", raw) and SERIAL_RANGE[0] <= float(raw) <= SERIAL_RANGE[1]:
        return datetime.combine(EXCEL_EPOCH, time()) + timedelta(days=float(raw))
    found = re.fullmatch(
        r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?", raw
    )
    try:
        if found:
            day, month, year, hour, minute, second = (int(g or 0) for g in found.groups())
            return datetime(year, month, day, hour, minute, second)
        return datetime.fromisoformat(raw)
    except ValueError:
        pass
    raise CellError("cell_date", value=raw)


def gender(value: object) -> str:
    raw = re.sub(r"[^a-z]+", " ", text(value).casefold()).strip()
    if raw not in GENDERS:
        raise CellError("cell_gender", value=text(value))
    return GENDERS[raw]


def age_band(value: object) -> str:
    """An age (``27``, ``27 tahun``) becomes its band; a band as Langgan writes it
    (``25-34``) stays."""
    raw = text(value)
    if raw.replace(" ", "") in KNOWN_BANDS:
        return raw.replace(" ", "")
    found = re.fullmatch(r"(\d{1,3})\s*(th|thn|tahun|years?|yrs?|y)?\.?", raw.casefold())
    if not found or not 5 <= int(found.group(1)) <= 120:
        raise CellError("cell_age", value=raw)
    years = int(found.group(1))
    return next((band for top, band in AGE_BANDS if years <= top), "55+")


def lead_source(value: object) -> str:
    """Where they found the shop, as the cell says it ("dr IG"); crm_core.customers.lead_sources
    reads it as one of the sources the reports count."""
    return text(value)[:80]


def yes_no(value: object) -> bool:
    raw = text(value).casefold()
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise CellError("cell_consent", value=text(value))
