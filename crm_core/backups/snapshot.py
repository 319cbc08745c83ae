"""Backups that restore: one file per snapshot, a header that says what it is, and a
restore that checks the file whole before it touches the store.

The file is ``LANGGAN-BACKUP`` on the first line, a JSON header on the second (format,
backend, the migrations applied, rows per table, the ids of the data keys it is sealed
with, payload size and SHA-256), then the payload: the SQLite database itself, or
PostgreSQL's ``pg_dump -Fc`` archive. The header lets a restore refuse a truncated file, a
file from a newer Langgan, or a file that is not a backup at all, and the store's sealed
secrets in the payload a data key that does not open them, before anything in the store
changes. The data key itself is never in a backup."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from crm_core.errors import InputError, StoreError
from crm_core.privacy.sealing import Keyring, WrongKey, is_sealed
from crm_core.store import redact

MAGIC = b"LANGGAN-BACKUP\n"
FORMAT = 1
MIGRATIONS_TABLE = "tortoise_migrations"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Header:
    backend: str  # sqlite, postgres
    migrations: list[str]
    tables: dict[str, int]  # rows per table at the moment of the snapshot
    created_at: str
    size: int
    sha256: str
    # The ids of the data keys the store's secrets are sealed with: the key a restore
    # needs (never the key itself). Empty in backups made before this was recorded.
    keys: list[str] = field(default_factory=list)

    @property
    def schema(self) -> str:
        return self.migrations[-1] if self.migrations else "(none)"

    def as_json(self) -> bytes:
        return json.dumps({"format": FORMAT, **self.__dict__}, sort_keys=True).encode() + b"\n"


def backend_of(db_url: str) -> str:
    if db_url.startswith("sqlite://"):
        return "sqlite"
    if db_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return "postgres"
    raise InputError("backup_store_kind", store=redact(db_url))


def known_migrations() -> set[str]:
    folder = resources.files("crm_core") / "migrations"
    return {
        entry.name.removesuffix(".py")
        for entry in folder.iterdir()
        if re.fullmatch(r"\d{4}_\w+\.py", entry.name)
    }


# -- making one ---------------------------------------------------------------------------


async def make_backup(db_url: str, path: Path, now: datetime) -> Header:
    """A consistent snapshot of the store in ``path``, taken while the service runs. The
    file appears only once complete: a crash mid-way leaves no half backup behind."""
    backend = backend_of(db_url)
    _check_target(path)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".langgan-backup-") as work:
        payload = Path(work) / "payload"
        if backend == "sqlite":
            migrations, tables = await asyncio.to_thread(_sqlite_snapshot, db_url, payload)
        else:
            migrations, tables = await _postgres_snapshot(db_url, payload)
        keys = sorted({v.split(":", 1)[0] for v in await _sealed_secrets(backend, payload)})
        size, digest = await asyncio.to_thread(_digest, payload)
        header = Header(backend, migrations, tables, now.isoformat(), size, digest, keys)
        partial = Path(work) / "backup"
        await asyncio.to_thread(_write_envelope, partial, header, payload)
        os.replace(partial, path)
    return header


def _check_target(path: Path) -> None:
    if path.is_dir() or not path.parent.is_dir():
        raise InputError("backup_target", file=str(path))


def _sqlite_snapshot(db_url: str, payload: Path) -> tuple[list[str], dict[str, int]]:
    source_path = _sqlite_path(db_url)
    if not source_path.is_file():
        raise StoreError("store_missing", file=str(source_path))
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(payload)
    try:
        # The online backup API copies a consistent state, even while others write.
        source.backup(target)
        return _sqlite_inventory(target)
    finally:
        target.close()
        source.close()


def _sqlite_inventory(conn: sqlite3.Connection) -> tuple[list[str], dict[str, int]]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    tables = {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}
    migrations = []
    if MIGRATIONS_TABLE in tables:
        migrations = [
            row[0] for row in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY id")
        ]
    return migrations, tables


async def _postgres_snapshot(db_url: str, payload: Path) -> tuple[list[str], dict[str, int]]:
    import asyncpg

    conn = await asyncpg.connect(_libpq_url(db_url))
    try:
        # One exported snapshot for the counts and pg_dump alike: the header's row counts
        # are exactly what the archive holds, however busy the shop is meanwhile.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            migrations, tables = await _postgres_inventory(conn)
            await _run(
                "pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                f"--file={payload}", db_url=db_url,
            )  # fmt: skip
    finally:
        await conn.close()
    return migrations, tables


async def _postgres_inventory(conn: Any) -> tuple[list[str], dict[str, int]]:
    names = [
        r["table_name"]
        for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    ]
    tables = {n: await conn.fetchval(f'SELECT COUNT(*) FROM "{n}"') for n in names}
    migrations = []
    if MIGRATIONS_TABLE in tables:
        migrations = [
            r["name"] for r in await conn.fetch(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY id")
        ]
    return migrations, tables


def _digest(path: Path) -> tuple[int, str]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


def _write_envelope(path: Path, header: Header, payload: Path) -> None:
    with path.open("wb") as out, payload.open("rb") as f:
        out.write(MAGIC)
        out.write(header.as_json())
        shutil.copyfileobj(f, out, CHUNK)
        out.flush()
        os.fsync(out.fileno())


# -- reading one --------------------------------------------------------------------------


def read_header(path: Path) -> Header:
    """The header of a whole, untouched Langgan backup that this version can restore;
    anything else is refused with the reason."""
    if not path.is_file():
        raise InputError("file_missing", file=str(path))
    with path.open("rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise InputError("backup_not_ours", file=str(path))
        line = f.readline(1 << 20)
        try:
            raw = json.loads(line)
            header = Header(
                raw["backend"], list(raw["migrations"]), dict(raw["tables"]),
                raw["created_at"], int(raw["size"]), raw["sha256"],
                [str(k) for k in raw.get("keys", [])],
            )  # fmt: skip
        except (ValueError, KeyError, TypeError):
            raise InputError("backup_header_damaged", file=str(path)) from None
        if raw.get("format") != FORMAT:
            raise InputError(
                "backup_format", file=str(path), format=str(raw.get("format")), reads=FORMAT
            )
        start = f.tell()
    size = path.stat().st_size - start
    if size != header.size:
        raise InputError("backup_truncated", file=str(path), size=header.size, holds=size)
    sha = hashlib.sha256()
    for chunk in _payload_chunks(path, start):
        sha.update(chunk)
    if sha.hexdigest() != header.sha256:
        raise InputError("backup_checksum", file=str(path))
    unknown = [m for m in header.migrations if m not in known_migrations()]
    if unknown:
        raise InputError(
            "backup_newer", file=str(path), schema=header.schema, unknown=", ".join(unknown)
        )
    return header


def _payload_chunks(path: Path, start: int) -> Iterator[bytes]:
    with path.open("rb") as f:
        f.seek(start)
        while chunk := f.read(CHUNK):
            yield chunk


def _extract(path: Path, start: int, target: Path) -> None:
    with target.open("wb") as out:
        for chunk in _payload_chunks(path, start):
            out.write(chunk)


def _payload_start(path: Path) -> int:
    with path.open("rb") as f:
        f.read(len(MAGIC))
        f.readline(1 << 20)
        return f.tell()


# -- restoring one ------------------------------------------------------------------------


async def store_rows(db_url: str) -> dict[str, int]:
    """Rows per table in the store now (the migrations' own table aside): what a restore
    would replace."""
    if backend_of(db_url) == "sqlite":
        path = _sqlite_path(db_url)
        if not path.is_file():
            return {}
        conn = sqlite3.connect(path)
        try:
            _, tables = _sqlite_inventory(conn)
        finally:
            conn.close()
    else:
        import asyncpg

        pg = await asyncpg.connect(_libpq_url(db_url))
        try:
            _, tables = await _postgres_inventory(pg)
        finally:
            await pg.close()
    return {t: n for t, n in tables.items() if n and t != MIGRATIONS_TABLE}


async def restore_backup(
    db_url: str, path: Path, data_key: str | None, *, force: bool = False
) -> Header:
    """Put the backup in ``path`` into the store at ``db_url``: only with a data key that
    opens the backup (``LANGGAN_DATA_KEY``), only into an empty store, unless ``force``;
    the row counts are checked against the header afterwards."""
    header = await asyncio.to_thread(read_header, path)
    backend = backend_of(db_url)
    if header.backend != backend:
        raise InputError("backup_backend", file=str(path), kind=header.backend, store=backend)
    with tempfile.TemporaryDirectory(prefix="langgan-restore-") as work:
        payload = Path(work) / "payload"
        await asyncio.to_thread(_extract, path, _payload_start(path), payload)
        check_key(path, await _sealed_secrets(backend, payload), data_key)
        held = await store_rows(db_url)
        if held and not force:
            summary = ", ".join(f"{t} {n}" for t, n in sorted(held.items())[:6])
            raise InputError("restore_not_empty", store=redact(db_url), summary=summary)
        if backend == "sqlite":
            await asyncio.to_thread(_sqlite_restore, payload, _sqlite_path(db_url))
        else:
            await _run(
                "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                str(payload), db_url=db_url,
            )  # fmt: skip
    restored = await store_rows(db_url)
    expected = {t: n for t, n in header.tables.items() if n and t != MIGRATIONS_TABLE}
    if restored != expected:
        wrong = sorted(
            t for t in set(restored) | set(expected) if restored.get(t) != expected.get(t)
        )
        raise StoreError("restore_differs", tables=", ".join(wrong))
    return header


def check_key(path: Path, secrets: list[str], data_key: str | None) -> None:
    """Refuse a data key that does not open the backup's secrets, as opening a store
    does: restored, that store would refuse the key, or hold data no key at hand opens.
    A backup from before encryption at rest holds none and takes any key."""
    if not secrets:
        return
    needed = sorted({value.split(":", 1)[0] for value in secrets})
    ring = Keyring.from_setting(data_key) if data_key else None
    if ring is None or not set(needed) <= set(ring.ids):
        raise WrongKey(
            "backup_key_wrong", file=str(path), needed=", ".join(needed),
            held=", ".join(ring.ids) if ring else "",
        )  # fmt: skip
    for value in secrets:
        ring.open(value)  # the same id but a different key fails here


async def _sealed_secrets(backend: str, payload: Path) -> list[str]:
    """The sealed values of the store's secrets in a backup's payload."""
    if backend == "sqlite":
        values = await asyncio.to_thread(_sqlite_secrets, payload)
    else:
        values = await _postgres_secrets(payload)
    return [v for v in values if is_sealed(v)]


def _sqlite_secrets(payload: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(payload)) as conn:
        try:
            return [str(row[0]) for row in conn.execute("SELECT value FROM store_secret")]
        except sqlite3.OperationalError:  # from before encryption at rest: no such table
            return []


async def _postgres_secrets(payload: Path) -> list[str]:
    """The table's rows as the archive's COPY block prints them: ``name<TAB>value``
    (the values are hex or ``KID:`` and url-safe base64, which COPY never escapes)."""
    out = await _run(
        "pg_restore", "--data-only", "--table=store_secret", "--file=-", str(payload), db_url=None
    )
    values, copying = [], False
    for line in out.decode().splitlines():
        if line.startswith("COPY ") and "store_secret" in line:
            copying = True
        elif line == "\\.":
            copying = False
        elif copying and "\t" in line:
            values.append(line.split("\t")[-1])
    return values


def _sqlite_restore(payload: Path, target_path: Path) -> None:
    source = sqlite3.connect(payload)
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise InputError("backup_integrity")
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)  # replaces every page of the target, in one step
        finally:
            target.close()
    finally:
        source.close()


# -- helpers ------------------------------------------------------------------------------


def _sqlite_path(db_url: str) -> Path:
    path = db_url.removeprefix("sqlite://").split("?", 1)[0]
    if not path or path == ":memory:":
        raise InputError("backup_in_memory")
    return Path(path)


def _libpq_url(db_url: str) -> str:
    scheme, rest = db_url.split("://", 1)
    return f"postgresql://{rest}" if scheme in ("postgres", "asyncpg") else db_url


async def _run(program: str, *args: str, db_url: str | None) -> bytes:
    """Run a PostgreSQL tool against ``db_url`` (None: on a file alone); what it printed.
    The password goes in the environment, not the command line, where any user of the
    machine could read it."""
    if shutil.which(program) is None:
        raise StoreError("program_missing", program=program)
    from urllib.parse import urlsplit, urlunsplit

    env = dict(os.environ)
    if db_url is not None:
        parts = urlsplit(_libpq_url(db_url))
        netloc = parts.netloc
        if parts.password is not None:
            env["PGPASSWORD"] = parts.password
            netloc = netloc.replace(f":{parts.password}@", "@", 1)
        args = (*args, f"--dbname={urlunsplit(parts._replace(netloc=netloc))}")
    process = await asyncio.create_subprocess_exec(
        program, *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        first = stderr.decode(errors="replace").strip().splitlines()[:1]
        raise StoreError(
            "program_failed", program=program, detail=str(first[0] if first else process.returncode)
        )
    return stdout
