"""What every spreadsheet import shares: the tally of rows, the problems found (each with
the row number the spreadsheet shows), the report file, and progress reporting through a
callback so the core never draws on a terminal."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from crm_core.errors import InputError, LangganError

# (rows read so far, rows expected or None): the command line draws the bar.
Progress = Callable[[int, int | None], None]


def no_progress(done: int, total: int | None) -> None:
    pass


@dataclass(frozen=True)
class RowProblem:
    row: int
    reason: LangganError


def as_problem(exc: Exception) -> LangganError:
    """A row's problem as an error with words: a parser's own ValueError (from a
    library) keeps its text as the detail."""
    return exc if isinstance(exc, LangganError) else InputError("cell_unreadable", detail=str(exc))


@dataclass
class ImportSummary:
    added: int = 0  # new records
    merged: int = 0  # rows that filled something into a record already there
    unchanged: int = 0  # rows already in the store: nothing to do
    skipped: int = 0  # rows repeating an earlier row of the same file
    bad: int = 0  # rows not loaded, each with a problem
    customers_added: int = 0  # orders import: customers created for the orders
    header_row: int = 1
    unknown_columns: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def refused(self, rows: Iterable[int], exc: Exception) -> None:
        """A batch the store refused was rolled back whole: each of its rows is reported,
        none is half in the store."""
        for row in rows:
            self.problem(row, InputError("batch_refused", detail=str(exc)))

    def problem(self, row: int, reason: LangganError, *, bad: bool = True) -> None:
        self.problems.append(RowProblem(row, reason))
        if bad:
            self.bad += 1
        else:
            self.skipped += 1


def default_report_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.errors.csv")


def write_report(
    summary: ImportSummary,
    path: Path,
    words: Callable[[LangganError], str] = str,
    headers: tuple[str, str] = ("row", "problem"),
) -> None:
    """One line per problem, in row order, for the shop to fix and import again, in the
    reader's language (``words`` puts an error in it)."""
    lines = [RowProblem(summary.header_row, InputError("column_unknown", name=name))
             for name in summary.unknown_columns]  # fmt: skip
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(list(headers))
            for problem in sorted([*lines, *summary.problems], key=lambda p: p.row):
                writer.writerow([problem.row, words(problem.reason)])
    except OSError as exc:
        raise InputError("file_unwritable", file=str(path), detail=exc.strerror) from None
