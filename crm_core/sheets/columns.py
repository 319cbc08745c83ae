"""The spreadsheet columns Langgan knows (``data/sheet_columns.toml``): the header its
export writes in the shop's language, and every header an import takes for the column.
One table for both directions, so whatever the export writes the import reads."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crm_core.sheets.files import header_key

LANGUAGES = ("id", "en")
TABLE = Path(__file__).parents[1] / "data" / "sheet_columns.toml"


@functools.cache
def _table() -> dict[str, dict[str, Any]]:
    return tomllib.loads(TABLE.read_text("utf-8"))


def header(column: str, lang: str) -> str:
    """The header the export writes: ``No HP`` in Indonesian, ``Phone`` in English."""
    entry = _table()[column]
    return str(entry.get(lang) or entry["id"])


def headers(columns: Iterable[str], lang: str) -> list[str]:
    return [header(column, lang) for column in columns]


def keys(column: str) -> set[str]:
    """Every header that names ``column``, as ``header_key`` writes it: both languages'
    and the other wordings shops use."""
    entry = _table()[column]
    titles = [*(entry[lang] for lang in LANGUAGES), *entry.get("also", [])]
    return {header_key(title) for title in titles}


def aliases(*columns: str) -> dict[str, set[str]]:
    """Column -> the headers that name it, for ``open_sheet``."""
    return {column: keys(column) for column in columns}


def known(*columns: str) -> set[str]:
    """The headers of columns an import knows but does not read."""
    return set().union(*(keys(column) for column in columns))
