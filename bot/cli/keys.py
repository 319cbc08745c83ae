"""`langgan keygen` and `langgan rotate-key`: the data key that seals personal data in the
store (see ``crm_core.privacy.sealing``)."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from bot.cli.language import say
from bot.cli.routing import Needs, auto_migrate, runs
from bot.settings import Settings

console = Console()
errors = Console(stderr=True)

ROTATION = (
    "To rotate: make a new key with `langgan keygen`, set LANGGAN_DATA_KEY to the new key, "
    "a comma and the old one (NEW,OLD), restart the service, and run `langgan rotate-key`."
)


def add_parsers(commands: Any) -> None:
    new_key = commands.add_parser(
        "keygen", help="print a new data key for LANGGAN_DATA_KEY (changes nothing)"
    )
    runs(new_key, _keygen, Needs.NOTHING)
    rotation = commands.add_parser(
        "rotate-key",
        help="seal every row again with the first key of LANGGAN_DATA_KEY (NEW,OLD)",
        description=ROTATION + " It may be cut off and run again: it carries on.",
    )
    runs(rotation, _rotate, Needs.KEY)


async def _keygen(args: argparse.Namespace, settings: Settings) -> int:
    return keygen()


async def _rotate(args: argparse.Namespace, settings: Settings) -> int:
    return await rotate(settings, auto_migrate(settings))


def with_data_key(settings: Settings, *, make: bool = True) -> Settings:
    """The settings with the store's data key: ``LANGGAN_DATA_KEY`` when set, else the key
    kept for this SQLite store, made now (``make``) when the store is new. Making one is
    said once, on stderr, with where it is kept."""
    from crm_core.privacy import key_file
    from crm_core.privacy.sealing import key_id

    if settings.data_key:
        return settings
    found = key_file.key_for(settings.db_url, datetime.now(UTC), make=make)
    if found is None:
        return settings
    if found.made:
        errors.print(
            "langgan: " + say("key_made", key=key_id(found.key), file=str(found.path)),
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
    return dataclasses.replace(settings, data_key=found.key)


def keygen() -> int:
    from crm_core.privacy.sealing import new_key

    # Only the key on stdout, so `echo "LANGGAN_DATA_KEY=$(langgan keygen)" >> .env` works.
    print(new_key())
    return 0


async def rotate(settings: Settings, bring_up_to_date: bool) -> int:
    from rich.progress import Progress
    from tortoise.exceptions import OperationalError

    from crm_core.privacy import key_file, sealed_rows
    from crm_core.privacy.sealing import key_id, keyring, store_keys
    from crm_core.staff.audit import audit
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
        console.print(say("rotate_nothing", key=ring.primary))
        if len(ring.keys) == 1:
            console.print(say("rotate_how"))
    else:
        console.print(say("rotate_done", count=result.total, key=ring.primary, moved=moved))
    if not vacuumed:
        console.print(say("rotate_not_compacted"))
    if result.left:
        console.print(say("rotate_left", count=result.left))
    elif result.total and len(ring.keys) > 1:
        console.print(say("rotate_finished", key=ring.primary))
        kept = key_file.key_for(settings.db_url, datetime.now(UTC), make=False)
        if kept is not None and key_id(kept.key) != ring.primary:
            console.print(
                say("rotate_key_file_old", file=str(kept.path)),
                markup=False, highlight=False, soft_wrap=True,
            )  # fmt: skip
    return 0
