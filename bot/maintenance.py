"""The service's upkeep jobs: the daily backup and the purge of old message text. Each
body is a plain async function taking ``now``; APScheduler only calls it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crm_core.backup_rotation import backup_and_prune
from crm_core.retention import purge_old_messages
from crm_core.settings import Settings

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


def add_jobs(scheduler: Any, settings: Settings) -> None:
    """Add the upkeep jobs the settings ask for to the running scheduler."""
    if settings.backup_dir:
        folder = Path(settings.backup_dir)
        folder.mkdir(parents=True, exist_ok=True)

        async def backup_tick() -> None:
            await daily_backup(settings.db_url, folder, settings.backup_keep, datetime.now(UTC))

        scheduler.add_job(backup_tick, "cron", hour=BACKUP_HOUR, timezone=settings.tz, id="backup")
    if settings.message_retention is not None:
        keep = settings.message_retention

        async def retention_tick() -> None:
            await purge_messages(keep, datetime.now(UTC))

        scheduler.add_job(
            retention_tick, "interval", seconds=RETENTION_EVERY.total_seconds(),
            id="retention", next_run_time=datetime.now(UTC),
        )  # fmt: skip
