"""Loading the catalog from a spreadsheet saved as CSV: ``name,price,colours,sizes``,
options separated by ``|``. Bad rows are reported by row number; good rows still load."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tortoise.transactions import in_transaction

from crm_core.errors import CatalogRowError, InputError
from crm_core.models import OptionStock, Product

MAX_FILE_BYTES = 5_000_000
MAX_PRICE = 1_000_000_000  # a billion rupiah: past that it is a typo
HEADERS = {
    "name": {"name", "nama", "produk", "product", "nama produk"},
    "price": {"price", "harga"},
    "colours": {"colours", "colors", "colour", "color", "warna"},
    "sizes": {"sizes", "size", "ukuran"},
    "aliases": {"alias", "aliases", "nama lain", "sebutan", "other names"},
    "stock": {"stock", "stok", "sisa"},
    "sold_out": {"sold out", "habis", "stok habis"},
}
# "Hitam (item, itam)=5": an option, the customers' own words for it, and how many are
# left of it when the shop counts its options.
_OPTION = re.compile(r"^\s*([^()=]+?)\s*(?:\(([^()]*)\))?\s*(?:=\s*([^=]*?))?\s*$")
MAX_STOCK = 1_000_000


@dataclass(frozen=True)
class ProductRow:
    row: int
    name: str
    price: int
    colours: list[str]
    sizes: list[str]
    aliases: list[str] = field(default_factory=list)
    option_aliases: dict[str, str] = field(default_factory=dict)
    stock: int | None = None
    sold_out: list[str] = field(default_factory=list)
    option_stock: dict[str, int] = field(default_factory=dict)  # colour or size -> left


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[CatalogRowError] = field(default_factory=list)


def read_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without Excel's BOM), else Windows-1252, which is
    what Excel on Windows writes when told "CSV"."""
    if not path.is_file():
        raise InputError("file_missing", file=str(path))
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise InputError("file_too_large", file=str(path), kb=MAX_FILE_BYTES // 1000)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def parse_price(text: str) -> int:
    """``150000``, ``150.000``, ``Rp 150.000``, ``150,000`` -> 150000 (whole rupiah)."""
    cleaned = re.sub(r"(?i)^\s*rp\.?\s*", "", text.strip())
    cleaned = cleaned.replace(" ", "")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", cleaned):
        cleaned = re.sub(r"[.,]", "", cleaned)
    elif re.fullmatch(r"\d+[.,]00?", cleaned):
        cleaned = re.split(r"[.,]", cleaned)[0]
    if not cleaned.isdecimal():
        raise ValueError(f"price {text!r} is not a whole number of rupiah")
    return int(cleaned)


def parse_rows(text: str) -> tuple[list[ProductRow], list[CatalogRowError]]:
    dialect = csv.excel
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")  # type: ignore[assignment]
    except csv.Error:
        pass
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if header is None:
        raise InputError("catalog_empty_file")
    columns = _columns(header)
    rows: list[ProductRow] = []
    errors: list[CatalogRowError] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        try:
            row = _row(number, cells, columns)
        except CatalogRowError as exc:
            errors.append(exc)
            continue
        key = row.name.casefold()
        if key in seen:
            errors.append(
                CatalogRowError(
                    number, InputError("product_repeated", name=row.name, row=seen[key])
                )
            )
            continue
        seen[key] = number
        rows.append(row)
    return rows, errors


def _columns(header: list[str]) -> dict[str, int]:
    found = {}
    for index, title in enumerate(header):
        key = " ".join(title.strip().casefold().split())
        for column, names in HEADERS.items():
            if key in names and column not in found:
                found[column] = index
    missing = [c for c in ("name", "price") if c not in found]
    if missing:
        raise InputError("catalog_header", missing=" / ".join(missing))
    return found


def _row(number: int, cells: list[str], columns: dict[str, int]) -> ProductRow:
    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    name = " ".join(cell("name").split())
    if not name:
        raise CatalogRowError(number, InputError("product_name_empty"))
    if len(name) > 120:
        raise CatalogRowError(number, InputError("product_name_long", most=120))
    price_text = cell("price")
    if not price_text:
        raise CatalogRowError(number, InputError("price_empty", name=name))
    try:
        price = parse_price(price_text)
    except ValueError:
        raise CatalogRowError(
            number, InputError("price_unreadable", name=name, text=price_text)
        ) from None
    if not 0 < price <= MAX_PRICE:
        raise CatalogRowError(number, InputError("price_range", name=name, most=MAX_PRICE))
    words: dict[str, str] = {}
    counts: dict[str, str] = {}
    colours = _options(cell("colours"), words, counts)
    sizes = _options(cell("sizes"), words, counts)
    option_stock = {}
    for option, count in counts.items():
        if not count.isdecimal() or int(count) > MAX_STOCK:
            raise CatalogRowError(
                number, InputError("option_stock_unreadable", name=name, option=option, count=count)
            )
        option_stock[option] = int(count)
    stock_text = cell("stock").replace(".", "").replace(",", "")
    stock = None
    if stock_text:
        if not stock_text.isdecimal() or int(stock_text) > MAX_STOCK:
            raise CatalogRowError(
                number, InputError("stock_unreadable", name=name, text=cell("stock"))
            )
        stock = int(stock_text)
    sold_out = _options(cell("sold_out"), {})
    unknown = [o for o in sold_out if o.casefold() not in {x.casefold() for x in colours + sizes}]
    if unknown:
        raise CatalogRowError(
            number, InputError("sold_out_unknown", name=name, options=", ".join(unknown))
        )
    aliases = [a.casefold() for a in _options(cell("aliases"), {})]
    return ProductRow(
        number, name, price, colours, sizes, aliases, words, stock, sold_out, option_stock
    )


def _options(text: str, words: dict[str, str], counts: dict[str, str] | None = None) -> list[str]:
    """``Hitam (item, itam)=5|Navy`` -> ``["Hitam", "Navy"]``; the words in brackets go
    into ``words`` as the customers' names for the option, and a count after ``=`` into
    ``counts``."""
    options: list[str] = []
    for part in text.split("|"):
        match = _OPTION.match(part)
        if match is None:
            continue
        option = " ".join(match.group(1).split())[:40]
        if option and option.casefold() not in {o.casefold() for o in options}:
            options.append(option)
            if match.group(3) is not None and counts is not None:
                counts[option] = match.group(3).replace(".", "").strip()
        for word in re.split(r"[,;]", match.group(2) or ""):
            word = " ".join(word.split()).casefold()[:40]
            if word and option:
                words[word] = option
    return options


async def import_products(path: Path, now: datetime) -> ImportReport:
    """Create new products and update existing ones (matched by name, ignoring case)."""
    rows, errors = parse_rows(read_text(path))
    report = ImportReport(errors=errors)
    async with in_transaction():
        existing = {p.name.casefold(): p for p in await Product.all()}
        for row in rows:
            product = existing.get(row.name.casefold())
            if product is None:
                product = await Product.create(
                    name=row.name,
                    price=row.price,
                    colours=row.colours,
                    sizes=row.sizes,
                    aliases=row.aliases or None,
                    option_aliases=row.option_aliases or None,
                    stock=row.stock,
                    sold_out=row.sold_out or None,
                    active=True,
                    updated_at=now,
                )
                report.created.append(row.name)
            else:
                product.name, product.price = row.name, row.price
                product.colours, product.sizes = row.colours, row.sizes
                product.aliases = row.aliases or None
                product.option_aliases = row.option_aliases or None
                product.stock, product.sold_out = row.stock, row.sold_out or None
                product.active, product.updated_at = True, now
                await product.save()
                report.updated.append(row.name)
            # The sheet is the count: what it lists replaces what was counted before.
            await OptionStock.filter(product_id=product.id).delete()
            await OptionStock.bulk_create(
                [
                    OptionStock(product_id=product.id, option=option, stock=left)
                    for option, left in row.option_stock.items()
                ]
            )
    return report
