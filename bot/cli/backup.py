"""``langgan backup FILE`` and ``langgan restore FILE``: the store, kept safe and brought
back. The data key is never in a backup: restoring one needs the key it was made with."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.cli.language import say
from bot.cli.routing import Needs, runs
from bot.settings import Settings
from crm_core.backups.snapshot import known_migrations, make_backup, restore_backup
from crm_core.store import redact

console = Console(soft_wrap=True)


def add_parsers(commands: Any) -> None:
    backup = commands.add_parser(
        "backup",
        help="a consistent snapshot of the store in FILE (safe while running; the data key is "
        "not in it)",
    )
    backup.add_argument("file", type=Path)
    restore = commands.add_parser(
        "restore",
        help="bring a backup FILE back into an empty store (LANGGAN_DATA_KEY: the backup's key)",
    )
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--force", action="store_true", help="replace everything in a store that is not empty"
    )
    # Outside the ORM: a backup reads the store as it is, a restore replaces it whole.
    # Neither makes a key: a restore needs the one the backup was made with.
    runs(backup, route, Needs.BACKUP_KEY)
    runs(restore, route, Needs.BACKUP_KEY)


async def route(args: argparse.Namespace, settings: Settings) -> int:
    db_url = settings.db_url
    if args.command == "backup":
        header = await make_backup(db_url, args.file, datetime.now(UTC))
        console.print(
            say("backed_up", store=redact(db_url), file=str(args.file),
                rows=sum(header.tables.values()), tables=len(header.tables), schema=header.schema)
        )  # fmt: skip
        if header.keys:
            console.print(
                say("backup_key_apart", keys=", ".join(header.keys),
                    file=_kept_in(db_url, header.keys)),
                markup=False, highlight=False,
            )  # fmt: skip
        return 0
    header = await restore_backup(db_url, args.file, settings.data_key, force=args.force)
    console.print(
        say("restored", file=str(args.file), taken=header.created_at, store=redact(db_url),
            rows=sum(header.tables.values()), tables=len(header.tables))
    )  # fmt: skip
    if set(header.migrations) != known_migrations():
        console.print(say("restored_older"))
    return 0


def _kept_in(db_url: str, keys: list[str]) -> str:
    """Where that key is, when it is the one made for this store on its first run."""
    from crm_core.privacy.key_file import key_for
    from crm_core.privacy.sealing import key_id

    kept = key_for(db_url, datetime.now(UTC), make=False)
    return str(kept.path) if kept and key_id(kept.key) in keys else ""
