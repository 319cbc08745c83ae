"""Spreadsheet files in and out, streamed: CSV (UTF-8 or Excel's Windows-1252, comma,
semicolon or tab) and XLSX (openpyxl's read-only and write-only modes, so a 50 MB sheet
never sits in memory whole).

Reading finds the header row (a title row or merged cells may sit above it), matches
headers to known columns however they are spelled (case, spaces, punctuation and
underscores aside: see ``header_key``), and yields each row with the number
the spreadsheet shows for it."""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from crm_core.errors import InputError

HEADER_SEARCH_ROWS = 20  # a title, a logo's merged cells, a note: the header is below
XLSX_SUFFIXES = (".xlsx", ".xlsm")
CHUNK = 1 << 20


def header_key(title: object) -> str:
    """``No. HP``, ``no hp``, ``NO_HP`` and ``Jenis Kelamin (L/P)`` all become the
    same plain words."""
    plain = re.sub(r"\(.*?\)", " ", str(title or "").casefold())
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def _squeezed(key: str) -> str:
    """A header key without its spaces, for comparing: ``NoHP`` and ``Izin_Promo`` are
    written without them as often as with."""
    return key.replace(" ", "")


def _squeeze_all(aliases: Mapping[str, set[str]]) -> dict[str, set[str]]:
    return {column: {_squeezed(key) for key in keys} for column, keys in aliases.items()}


@dataclass
class Sheet:
    """An open spreadsheet: which column is where, and the rows below the header."""

    columns: dict[str, int]  # our column name -> index in the row
    header_row: int
    unknown: list[str]  # headers we do not know, ignored
    rows: Iterator[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cells)
    total_rows: int | None  # for progress; an estimate

    def cell(self, cells: list[Any], column: str) -> Any:
        index = self.columns.get(column)
        if index is None or index >= len(cells):
            return None
        value = cells[index]
        return value.strip() if isinstance(value, str) else value


@contextmanager
def open_sheet(
    path: Path,
    aliases: Mapping[str, set[str]],
    ignored: set[str],
    *,
    required: Callable[[set[str]], InputError | None],
) -> Iterator[Sheet]:
    """Open ``path`` and find its header. ``aliases`` maps each column to the header
    keys that mean it; ``ignored`` are headers known but not read (an export's totals);
    ``required`` says what is missing from a set of found columns, or None."""
    _check_file(path)
    aliases, ignored = _squeeze_all(aliases), {_squeezed(key) for key in ignored}
    if path.suffix.casefold() in XLSX_SUFFIXES or _is_zip(path):
        with _xlsx_rows(path) as (rows, total):
            yield _find_header(path, rows, total, aliases, ignored, required)
    else:
        encoding = detect_encoding(path)
        with path.open(encoding=encoding, newline="") as handle:
            rows = _csv_rows(handle)
            yield _find_header(path, rows, _count_lines(path), aliases, ignored, required)


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise InputError("file_missing", file=str(path))
    if path.stat().st_size == 0:
        raise InputError("file_empty", file=str(path))
    if path.suffix.casefold() == ".xls":
        raise InputError("sheet_old_excel", file=str(path))
    with path.open("rb") as handle:
        start = handle.read(4096)
    if not start.startswith(b"PK") and b"\0" in start:
        raise InputError("sheet_not_a_sheet", file=str(path))


def _is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"PK"


def detect_encoding(path: Path) -> str:
    """UTF-8 (Excel adds a BOM when asked for "CSV UTF-8"), else Windows-1252, which is
    what Excel on Windows writes for plain "CSV". Checked in chunks: the whole file is
    never in memory."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            lines += chunk.count(b"\n")
    return lines


def _csv_rows(handle: IO[str]) -> Iterator[tuple[int, list[Any]]]:
    sample = handle.read(64 * 1024)
    handle.seek(0)
    first = sample.splitlines()[0] if sample else ""
    # Excel writes ";" where the decimal mark is a comma (Indonesian Windows); the sniffer
    # guesses wrong on short files, so the header line's own counts decide.
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        for cells in reader:
            # A quoted cell may span lines: the reader's line count is the sheet's row.
            yield reader.line_num, cells
    except csv.Error as exc:
        raise InputError("csv_malformed", line=reader.line_num, detail=str(exc)) from None


@contextmanager
def _xlsx_rows(path: Path) -> Iterator[tuple[Iterator[tuple[int, list[Any]]], int | None]]:
    from openpyxl import load_workbook  # imported here: only XLSX needs it

    # A handle rather than the name: openpyxl refuses a workbook named .csv by its name.
    with path.open("rb") as handle:
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except Exception:  # a damaged file fails in many ways, and all mean one thing
            raise InputError("xlsx_unreadable", file=str(path)) from None
        try:
            sheet = book.worksheets[0]
            total = sheet.max_row if isinstance(sheet.max_row, int) else None

            def rows() -> Iterator[tuple[int, list[Any]]]:
                number = 0
                try:
                    for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
                        yield number, list(values)
                except (zipfile.BadZipFile, ValueError, KeyError, SyntaxError) as exc:
                    # SyntaxError: the XML parser's ParseError, a damaged sheet.
                    raise InputError(
                        "xlsx_damaged", file=str(path), row=number, detail=str(exc)
                    ) from None

            yield rows(), total
        finally:
            book.close()


def _find_header(
    path: Path,
    rows: Iterator[tuple[int, list[Any]]],
    total: int | None,
    aliases: Mapping[str, set[str]],
    ignored: set[str],
    required: Callable[[set[str]], InputError | None],
) -> Sheet:
    best: tuple[int, dict[str, int], list[Any]] | None = None
    for number, cells in rows:
        columns = match_columns(cells, aliases)
        if len(columns) >= 2 and required(set(columns)) is None:
            unknown = [
                str(title).strip()
                for title in cells
                if (key := _squeezed(header_key(title))) and key not in ignored
                and not any(key in keys for keys in aliases.values())
            ]  # fmt: skip
            return Sheet(columns, number, unknown, rows, total)
        if columns and (best is None or len(columns) > len(best[1])):
            best = (number, columns, cells)
        if number >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise InputError("header_not_found", file=str(path), rows=HEADER_SEARCH_ROWS)
    number, columns, _ = best
    raise InputError(
        "header_incomplete", file=str(path), row=number,
        reason=required(set(columns)) or InputError("header_needs_two_columns"),
    )  # fmt: skip


def match_columns(cells: list[Any], aliases: Mapping[str, set[str]]) -> dict[str, int]:
    """Column -> its index in the header row; ``aliases`` as ``open_sheet`` keeps them,
    without spaces."""
    found: dict[str, int] = {}
    for index, title in enumerate(cells):
        key = _squeezed(header_key(title))
        for column, keys in aliases.items():
            if key in keys and column not in found:
                found[column] = index
    return found


@dataclass(frozen=True)
class Layout:
    """A column as a workbook shows it: its header, its width in characters and Excel's
    number format for its cells (None: as the value is)."""

    header: str
    width: float = 12
    number_format: str | None = None


class SheetWriter:
    """Rows out to CSV or XLSX, chosen by the file's extension, one row at a time. A
    workbook gets a bold header row that stays in view (frozen), a filter on it, each
    column's width, and number formats on the cells that hold numbers and dates."""

    def __init__(self, path: Path, columns: Sequence[Layout | str]) -> None:
        self.path = path
        self.columns = [c if isinstance(c, Layout) else Layout(c) for c in columns]
        self.rows = 1  # the header
        self.xlsx = path.suffix.casefold() in XLSX_SUFFIXES
        headers = [column.header for column in self.columns]
        if not self.xlsx and path.suffix.casefold() not in (".csv", ".txt"):
            raise InputError("sheet_output_kind", file=str(path))
        if self.xlsx:
            self._start_workbook()
        else:
            try:
                # Excel opens a CSV as UTF-8 only when it starts with the BOM.
                self._handle = path.open("w", encoding="utf-8-sig", newline="")
            except OSError as exc:
                raise InputError("file_unwritable", file=str(path), detail=exc.strerror) from None
            self._csv = csv.writer(self._handle)
            self._csv.writerow(headers)

    def _start_workbook(self) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet()
        # A write-only sheet takes its widths and frozen panes before the first row.
        for index, column in enumerate(self.columns, 1):
            self._sheet.column_dimensions[get_column_letter(index)].width = column.width
        self._sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        cells = []
        for column in self.columns:
            cell = WriteOnlyCell(self._sheet, value=column.header)
            cell.font = bold
            cells.append(cell)
        self._sheet.append(cells)
        self._cell = WriteOnlyCell

    def write(self, row: list[Any]) -> None:
        self.rows += 1
        if self.xlsx:
            self._sheet.append(
                [self._xlsx_cell(v, c) for v, c in zip(row, self.columns, strict=True)]
            )
        else:
            self._csv.writerow(["" if v is None else _csv_text(v) for v in row])

    def _xlsx_cell(self, value: Any, column: Layout) -> Any:
        if value is None or column.number_format is None:
            return value
        cell = self._cell(self._sheet, value=value)
        cell.number_format = column.number_format
        return cell

    def close(self) -> None:
        if self.xlsx:
            from openpyxl.utils import get_column_letter

            last = get_column_letter(len(self.columns))
            self._sheet.auto_filter.ref = f"A1:{last}{self.rows}"
            try:
                self._book.save(self.path)
            except OSError as exc:
                raise InputError(
                    "file_unwritable", file=str(self.path), detail=exc.strerror
                ) from None
        else:
            self._handle.close()


def _csv_text(value: Any) -> str:
    if hasattr(value, "isoformat"):
        # A date stays a date; a time of day is to the minute, which is what was entered.
        return (
            value.isoformat(sep=" ", timespec="minutes")
            if hasattr(value, "hour")
            else (value.isoformat())
        )
    return str(value)
