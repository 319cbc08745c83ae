"""``langgan backup FILE`` and ``langgan restore FILE``: the store, kept safe and brought
back."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from crm_core.backup import known_migrations, make_backup, restore_backup
from crm_core.store import redact

console = Console(soft_wrap=True)


def add_parsers(commands: Any) -> None:
    backup = commands.add_parser(
        "backup", help="a consistent snapshot of the store in FILE (safe while running)"
    )
    backup.add_argument("file", type=Path)
    restore = commands.add_parser("restore", help="bring a backup FILE back into an empty store")
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--force", action="store_true", help="replace everything in a store that is not empty"
    )


def handles(args: argparse.Namespace) -> bool:
    return args.command in ("backup", "restore")


async def dispatch(args: argparse.Namespace, db_url: str) -> int:
    if args.command == "backup":
        header = await make_backup(db_url, args.file, datetime.now(UTC))
        console.print(
            f"Backed up {redact(db_url)} to {args.file}: {sum(header.tables.values())} rows in "
            f"{len(header.tables)} tables, schema {header.schema}."
        )
        return 0
    header = await restore_backup(db_url, args.file, force=args.force)
    console.print(
        f"Restored {args.file} (taken {header.created_at}) into {redact(db_url)}: "
        f"{sum(header.tables.values())} rows in {len(header.tables)} tables, all counted."
    )
    if set(header.migrations) != known_migrations():
        console.print("The backup's schema is older than this Langgan: run `langgan migrate`.")
    return 0
