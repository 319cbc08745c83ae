"""APScheduler only ticks: the sweep is a plain async function taking ``now``, and all the
truth (who was sent what) is in Langgan's own tables, so any number of instances may
tick at once (APScheduler 3 itself cannot share a job store between processes)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from crm_core.contact_policy import Rules
from message_templates import Texts
from scheduler.campaigns import Campaign
from scheduler.sweep import sweep

log = logging.getLogger(__name__)
SWEEP_EVERY = 300  # seconds


def start_scheduler(campaigns: list[Campaign], rules: Rules, texts: Texts) -> AsyncIOScheduler:
    async def tick() -> None:
        try:
            outcomes = await sweep(datetime.now(UTC), campaigns, rules, texts)
        except Exception as exc:  # the store is away: the next tick tries again
            log.error("sweep failed: %s", type(exc).__name__)
            return
        counts = Counter(o.status for o in outcomes)
        if counts:
            log.info(
                "sweep: %s", ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            )

    scheduler = AsyncIOScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": SWEEP_EVERY}
    )
    scheduler.add_job(
        tick, "interval", seconds=SWEEP_EVERY, id="sweep", next_run_time=datetime.now(UTC)
    )
    scheduler.start()
    return scheduler
