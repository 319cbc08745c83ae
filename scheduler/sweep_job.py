"""The campaigns' sweep as a timed job: a plain async function taking ``now``, run by
the ticker (``scheduler.ticker``) every five minutes, on every instance at once if need
be: all the truth (who was sent what) is in Langgan's own tables."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from crm_core.outreach.contact_policy import Rules
from message_templates import Texts
from scheduler.campaigns import Campaign
from scheduler.sweep import sweep
from scheduler.ticker import Every, Ticker

log = logging.getLogger(__name__)
SWEEP_EVERY = timedelta(minutes=5)


def add_sweep(ticker: Ticker, campaigns: list[Campaign], rules: Rules, texts: Texts) -> None:
    """Sweep the campaigns at the first tick, then every five minutes."""

    async def sweep_now(now: datetime) -> None:
        outcomes = await sweep(now, campaigns, rules, texts)
        counts = Counter(o.status for o in outcomes)
        if counts:
            log.info(
                "sweep: %s", ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            )

    ticker.add("sweep", Every(SWEEP_EVERY), sweep_now)
