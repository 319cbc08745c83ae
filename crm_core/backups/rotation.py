"""The daily backup: one file per run in the backup folder, the oldest removed after the
number of days the shop keeps them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crm_core.backups.snapshot import Header, make_backup

NAME = re.compile(r"^langgan-(\d{8}-\d{6})\.backup$")


def backup_name(now: datetime) -> str:
    return f"langgan-{now.astimezone(UTC):%Y%m%d-%H%M%S}.backup"


async def backup_and_prune(
    db_url: str, folder: Path, keep: timedelta, now: datetime
) -> tuple[Header, list[Path]]:
    """Back up into ``folder``, then remove this job's own backups older than ``keep``
    (by the time in their name, never by a file's date, which a copy changes). A failed
    backup removes nothing: the old ones are all there is."""
    header = await make_backup(db_url, folder / backup_name(now), now)
    return header, prune(folder, keep, now)


def prune(folder: Path, keep: timedelta, now: datetime) -> list[Path]:
    removed = []
    for path in sorted(folder.iterdir()):
        match = NAME.match(path.name)
        if match is None:
            continue  # not one of ours: never touched
        taken = datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
        if taken < now - keep:
            path.unlink()
            removed.append(path)
    return removed
