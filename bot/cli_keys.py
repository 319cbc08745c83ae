"""`langgan keygen` and `langgan rotate-key`: the data key that seals personal data in the
store (see ``crm_core.sealing``)."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from crm_core.settings import Settings

console = Console()
errors = Console(stderr=True)

ROTATION = (
    "To rotate: make a new key with `langgan keygen`, set LANGGAN_DATA_KEY to the new key, "
    "a comma and the old one (NEW,OLD), restart the service, and run `langgan rotate-key`."
)


def add_parsers(commands: Any) -> None:
    commands.add_parser(
        "keygen", help="print a new data key for LANGGAN_DATA_KEY (changes nothing)"
    )
    commands.add_parser(
        "rotate-key",
        help="seal every row again with the first key of LANGGAN_DATA_KEY (NEW,OLD)",
        description=ROTATION + " It may be cut off and run again: it carries on.",
    )


def handles(args: argparse.Namespace) -> bool:
    return args.command in ("keygen", "rotate-key")


def with_data_key(settings: Settings, *, make: bool = True) -> Settings:
    """The settings with the store's data key: ``LANGGAN_DATA_KEY`` when set, else the key
    kept for this SQLite store, made now (``make``) when the store is new. Making one is
    said once, on stderr, with where it is kept."""
    from crm_core import key_file
    from crm_core.sealing import key_id

    if settings.data_key:
        return settings
    found = key_file.key_for(settings.db_url, datetime.now(UTC), make=make)
    if found is None:
        return settings
    if found.made:
        errors.print(
            f"langgan: made a data key for this new store (key id {key_id(found.key)}) and "
            f"kept it in {found.path}. Back that file up apart from the store and its "
            "backups: without it the customers' data cannot be read.",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
    return dataclasses.replace(settings, data_key=found.key)


def keygen() -> int:
    from crm_core.sealing import new_key

    # Only the key on stdout, so `echo "LANGGAN_DATA_KEY=$(langgan keygen)" >> .env` works.
    print(new_key())
    return 0


async def rotate(settings: Settings, bring_up_to_date: bool) -> int:
    from rich.progress import Progress
    from tortoise.exceptions import OperationalError

    from crm_core import key_file, sealed_rows
    from crm_core.agents import audit
    from crm_core.sealing import key_id, keyring, store_keys
    from crm_core.store import connection_name, open_store, vacuum

    async with open_store(
        settings.db_url, settings.data_key, bring_up_to_date=bring_up_to_date, require_current=True
    ):
        keys, ring = store_keys(), keyring()
        before = await sealed_rows.sealed_with(keys)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("sealing", total=None)

            def step(table: str, done: int) -> None:
                progress.update(task, description=f"sealing {table}", completed=done)

            result = await sealed_rows.reseal(connection_name(settings.db_url), keys, step)
        vacuumed = True
        if connection_name(settings.db_url) == "sqlite":
            try:  # old sealed copies out of the file's free pages
                await vacuum(settings.db_url)
            except OperationalError:  # the service is writing: it needs the file alone
                vacuumed = False
        await audit(
            None, "store.rotate_key", datetime.now(UTC), actor="cli",
            from_key=before, to_key=ring.primary, rows=result.total,
        )  # fmt: skip
    moved = ", ".join(f"{table} {n:,}" for table, n in result.rows.items() if n)
    if not result.total:
        console.print(f"Every row was already sealed with key {ring.primary}; nothing changed.")
        if len(ring.keys) == 1:
            console.print(ROTATION)
    else:
        console.print(f"Sealed {result.total:,} values again with key {ring.primary} ({moved}).")
    if not vacuumed:
        console.print(
            "The file still holds the old sealed copies in its free space (the service was "
            "writing, so it could not be compacted): run `langgan rotate-key` again while "
            "the service is stopped."
        )
    if result.left:
        console.print(
            f"{result.left:,} rows were changed by the service while this ran and still hold "
            "a value under the old key: run `langgan rotate-key` again to finish."
        )
    elif result.total and len(ring.keys) > 1:
        console.print(
            f"Every row is under key {ring.primary} now: set LANGGAN_DATA_KEY to that key "
            "alone (the first one) and restart the service. Keep the old key until the "
            "backups made with it are gone."
        )
        kept = key_file.key_for(settings.db_url, datetime.now(UTC), make=False)
        if kept is not None and key_id(kept.key) != ring.primary:
            console.print(
                f"{kept.path}, the key file made for this store on its first run, still "
                "holds the old key: keep LANGGAN_DATA_KEY set, or put the new key in that "
                "file (and the old one somewhere safe, for the old backups).",
                markup=False, highlight=False, soft_wrap=True,
            )  # fmt: skip
    return 0
