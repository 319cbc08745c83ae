"""Every error Langgan raises on purpose.

    LangganError
    ├── SettingsError        a setting is missing or malformed; names the setting
    ├── StoreError           the store cannot be opened or brought up to date
    └── InputError           what a person typed or uploaded cannot be used; says why
        ├── CatalogRowError  one row of a catalog file, with its row number
        ├── CellError        one cell of an imported sheet
        ├── NotFound         nobody matches a customer reference
        └── Ambiguous        several customers match; carries them, to list

An error carries a code and the values that fill its text; the words themselves live
in ``message_templates/<lang>/errors.toml``, so an agent reading Indonesian is refused
in Indonesian and an English command line in English. ``str(error)`` is the English
text once ``message_templates`` is loaded (it registers itself below), and the bare code
and values before that, for a log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Set by message_templates when it loads: (error, language) -> the sentence.
_describe: Callable[[LangganError, str], str] | None = None


def describe_with(describe: Callable[[LangganError, str], str]) -> None:
    global _describe
    _describe = describe


class LangganError(Exception):
    """Base of every error Langgan raises on purpose: ``code`` names its text, and
    ``values`` fill it (plain texts and numbers, or another LangganError as a cause)."""

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code = code
        self.values = {k: _plain(v) for k, v in values.items()}

    def __str__(self) -> str:
        if _describe is not None:
            return _describe(self, "en")
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{self.code} ({shown})" if shown else self.code


def _plain(value: Any) -> Any:
    # Templates see texts, numbers and errors only: never a model with its secrets.
    if value is None or isinstance(value, (str, int, float, LangganError)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = tuple(_plain(v) for v in value)
        # Several errors stay errors, each put in words in the reader's language; a
        # list of words stays a list, for the text to join or translate.
        return items
    return str(value)


class SettingsError(LangganError):
    pass


class StoreError(LangganError):
    pass


class StoreNotSynced(StoreError):
    """Committed changes that could not be synced to the disk: the store cannot promise
    them any more, and the service stops acknowledging messages."""


class InputError(LangganError):
    pass


class CatalogRowError(InputError):
    """One row of a file that cannot be used: ``reason`` says why (an InputError)."""

    def __init__(self, row: int, reason: LangganError) -> None:
        super().__init__("row_problem", row=row, reason=reason)
        self.row = row
        self.reason = reason


class CellError(InputError, ValueError):
    """One cell of a sheet that cannot be read: still a ValueError, as parsers raise."""


class NotFound(InputError):
    def __init__(self, reference: str, code: str = "customer_not_found", **values: Any) -> None:
        super().__init__(code, reference=reference, **values)
        self.reference = reference


class Ambiguous(InputError):
    def __init__(self, reference: str, matches: list[object], rest: str | None = None) -> None:
        super().__init__("customers_ambiguous", reference=reference, count=len(matches))
        self.reference = reference
        self.matches = matches
        self.rest = rest  # the rest of the command, for choices that repeat it exactly
