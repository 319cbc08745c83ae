"""The service's upkeep jobs: the daily backup and the purge of old message text. Each
is a plain async function taking ``now``; the ticker (``scheduler.ticker``) runs it."""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from pathlib import Path

from crm_core.backups.rotation import backup_and_prune
from crm_core.privacy.retention import purge_old_messages
from crm_core.settings import Settings
from scheduler.ticker import DailyAt, Every, Ticker

log = logging.getLogger("langgan")
BACKUP_HOUR = 2  # local time: the quietest hour of a shop that sells by day
RETENTION_EVERY = timedelta(hours=6)


async def daily_backup(db_url: str, folder: Path, keep: timedelta, now: datetime) -> None:
    try:
        header, removed = await backup_and_prune(db_url, folder, keep, now)
    except Exception as exc:  # a full disk must not stop the shop; the log says so
        log.error("backup into %s failed: %s: %s", folder, type(exc).__name__, exc)
        return
    log.info(
        "backup done: %s rows, schema %s; %d old backups removed",
        sum(header.tables.values()), header.schema, len(removed),
    )  # fmt: skip


async def purge_messages(keep: timedelta, now: datetime) -> None:
    try:
        emptied = await purge_old_messages(now, keep)
    except Exception as exc:
        log.error("message retention failed: %s", type(exc).__name__)
        return
    if emptied:
        log.info("message retention: %d old message texts emptied", emptied)


def add_upkeep(ticker: Ticker, settings: Settings) -> None:
    """The upkeep jobs the settings ask for: the backup at 02:00 in the shop's time
    zone, the message retention at the first tick and every six hours."""
    if settings.backup_dir:
        folder = Path(settings.backup_dir)
        folder.mkdir(parents=True, exist_ok=True)
        ticker.add(
            "backup", DailyAt(BACKUP_HOUR, settings.tz),
            functools.partial(daily_backup, settings.db_url, folder, settings.backup_keep),
        )  # fmt: skip
    if settings.message_retention is not None:
        keep = settings.message_retention
        ticker.add("message retention", Every(RETENTION_EVERY),
                   functools.partial(purge_messages, keep))  # fmt: skip
