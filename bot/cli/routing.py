"""How a command is routed, the same for every one: its parser names the function that
runs it and what must be ready first (``Needs``), and ``main.route`` makes that ready and
runs it."""

from __future__ import annotations

import argparse
import enum
from collections.abc import Awaitable, Callable

from bot.settings import Settings

Run = Callable[[argparse.Namespace, Settings], Awaitable[int]]


class Needs(enum.Enum):
    NOTHING = "nothing"  # files of its own only (shop.toml), or a new key printed
    BACKUP_KEY = "backup key"  # the data key as set, never a new one: a restore needs the backup's
    KEY = "key"  # the data key, made on a new SQLite store's first run; it opens the store itself
    STORE = "store"  # the store, open and up to date


def runs(parser: argparse.ArgumentParser, run: Run, needs: Needs) -> None:
    """``parser``'s command (and each beneath it) runs ``run`` once ``needs`` is ready."""
    parser.set_defaults(run=run, needs=needs)


def auto_migrate(settings: Settings) -> bool:
    # An embedded SQLite store is brought up to date by itself; a shared PostgreSQL is
    # migrated on purpose with `langgan migrate`, once, not by every instance that starts.
    return settings.db_url.startswith("sqlite")
