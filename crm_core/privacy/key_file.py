"""The data key of an embedded SQLite store, made on the store's first run when no
``LANGGAN_DATA_KEY`` is set, and kept in a file of the user's configuration folder:
``$XDG_CONFIG_HOME/langgan/keys/`` (``~/.config/langgan/keys/`` by default), one file per
store, named after the store's absolute path.

The key lives outside the store's folder on purpose: a copy of that folder, or a backup,
does not carry the key that opens it. The file holds one ``LANGGAN_DATA_KEY=...`` line
(as ``.env`` does) under a comment naming the store; it is made whole and owner-only
(0600, in 0700 folders) before anyone can read it, and never made over an existing one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from dotenv import dotenv_values

from crm_core.errors import SettingsError
from crm_core.privacy.sealing import SETTING, new_key

# Tables every Langgan store has had: a file holding any of them is a store already,
# whose key is the one it was made with, never a new one.
_LANGGAN_TABLES = ("tortoise_migrations", "store_secret", "customer")


@dataclass(frozen=True)
class KeyFile:
    path: Path
    key: str = field(repr=False)  # never in a log or a traceback
    made: bool = False  # made just now, for a new store: the person must be told where


def sqlite_file(db_url: str) -> Path | None:
    """The file of an SQLite store; None for an in-memory one or another backend."""
    if not db_url.startswith("sqlite://"):
        return None
    path = db_url.removeprefix("sqlite://").split("?", 1)[0]
    return None if not path or path == ":memory:" else Path(path)


def config_home(environ: Mapping[str, str]) -> Path:
    # The XDG base directory rule: a relative XDG_CONFIG_HOME is to be ignored.
    configured = environ.get("XDG_CONFIG_HOME", "")
    if configured and os.path.isabs(configured):
        return Path(configured)
    return Path(environ.get("HOME") or Path.home()) / ".config"


def key_path(store: Path, config: Path) -> Path:
    """The key file of the store at ``store``: its name, for a person reading the folder,
    and a hash of its absolute path, so two stores never share a file."""
    where = store.resolve()
    digest = hashlib.sha256(str(where).encode()).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", where.name)[:40]
    return config / "langgan" / "keys" / f"{name}-{digest}.key"


def is_new(store: Path) -> bool:
    """No file yet, or a file with no Langgan table in it (an empty file, say)."""
    if not store.exists():
        return True
    read_only = f"{store.resolve().as_uri()}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(read_only, uri=True)) as db:
            marks = ", ".join("?" * len(_LANGGAN_TABLES))
            found = db.execute(
                f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",
                _LANGGAN_TABLES,
            ).fetchone()
    except sqlite3.DatabaseError:
        return False  # not an SQLite file: opening it says so, and no key is made for it
    return found is None


def key_for(
    db_url: str, now: datetime, environ: Mapping[str, str] | None = None, *, make: bool = True
) -> KeyFile | None:
    """The key kept for the SQLite store at ``db_url``; with ``make``, a new one when the
    store is new and none is kept. None otherwise: PostgreSQL, an in-memory store, or an
    existing store with no key file, all of which need ``LANGGAN_DATA_KEY``."""
    store = sqlite_file(db_url)
    if store is None:
        return None
    path = key_path(store, config_home(os.environ if environ is None else environ))
    if path.exists():
        return KeyFile(path, _read(path))
    if not make or not is_new(store):
        return None
    return _make(path, store, now)


def _read(path: Path) -> str:
    try:
        key = dotenv_values(path).get(SETTING)
    except OSError as exc:
        raise SettingsError("key_file_unreadable", file=str(path), detail=exc.strerror) from None
    if not key:
        raise SettingsError("key_file_empty", file=str(path))
    return key


def _make(path: Path, store: Path, now: datetime) -> KeyFile:
    key = new_key()
    text = (
        f"# The data key of the Langgan store {store.resolve()},\n"
        f"# made {now.isoformat(timespec='seconds')}. Back this file up apart from the store\n"
        "# and its backups: without it the store cannot be read.\n"
        f"{SETTING}={key}\n"
    )
    try:
        _private_folder(path.parent)
        # Written whole under a temporary name (mkstemp makes it 0600), then linked into
        # place: no reader ever sees half a key, and a link never replaces a key file
        # another process made a moment ago.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-", suffix=".key")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.link(temporary, path)
        except FileExistsError:
            return KeyFile(path, _read(path))  # the other process's key stands
        finally:
            os.unlink(temporary)
    except OSError as exc:
        raise SettingsError(
            "key_file_unwritable", folder=str(path.parent), detail=exc.strerror
        ) from None
    return KeyFile(path, key, made=True)


def _private_folder(folder: Path) -> None:
    """``langgan/keys`` in the configuration folder, each made 0700 from the start (a
    folder that exists already is narrowed to its owner)."""
    folder.parent.parent.mkdir(parents=True, exist_ok=True)  # ~/.config: the system's way
    for part in (folder.parent, folder):
        try:
            part.mkdir(mode=0o700)
        except FileExistsError:
            if part.stat().st_mode & 0o077:
                part.chmod(0o700)
