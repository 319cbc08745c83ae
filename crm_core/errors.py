"""Every error Langgan raises on purpose.

    LangganError
    ├── SettingsError        a setting is missing or malformed; names the setting
    ├── StoreError           the store cannot be opened or brought up to date
    └── InputError           what a person typed or uploaded cannot be used; says why
        ├── CatalogRowError  one row of a catalog file, with its row number
        ├── NotFound         nobody matches a customer reference
        └── Ambiguous        several customers match; carries them, to list

Each carries a message a person can act on; none is shown to a customer as a traceback.
"""


class LangganError(Exception):
    """Base of every error Langgan raises on purpose."""


class SettingsError(LangganError):
    pass


class StoreError(LangganError):
    pass


class InputError(LangganError):
    pass


class CatalogRowError(InputError):
    def __init__(self, row: int, reason: str) -> None:
        super().__init__(f"row {row}: {reason}")
        self.row = row
        self.reason = reason


class NotFound(InputError):
    def __init__(self, reference: str, message: str | None = None) -> None:
        super().__init__(message or f"no customer matches {reference!r}")
        self.reference = reference


class Ambiguous(InputError):
    def __init__(self, reference: str, matches: list[object], rest: str | None = None) -> None:
        super().__init__(f"{len(matches)} customers match {reference!r}")
        self.reference = reference
        self.matches = matches
        self.rest = rest  # the rest of the command, for choices that repeat it exactly
