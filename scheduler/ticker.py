"""The one ticker: every timed job of ``langgan run`` (the outbox and agents' reminders,
unpaid orders and quiet hand-offs, the campaigns' sweep, the message retention, the
daily backup) is a plain async function taking ``now``, run when it is due by the clock
the ticker is given. ``langgan run`` gives it the wall clock and ticks once a second; a
test gives it a clock of its own and ticks when it likes, and never waits.

All the truth (who was sent what, which reminder went) is in the store, and every job
changes it by conditional updates, so any number of instances may tick at once.

Each job runs in a task of its own: a sweep over a large shop, taking a minute, does
not hold up the outbox meanwhile. A job still running when it falls due again is not
started twice; it runs again at the first tick after it ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger(__name__)

Job = Callable[[datetime], Awaitable[object]]


@dataclass(frozen=True)
class Every:
    """At the first tick, then every ``period``."""

    period: timedelta

    def first(self, now: datetime) -> datetime:
        return now

    def after(self, ran: datetime) -> datetime:
        return ran + self.period

    @property
    def longest_wait(self) -> timedelta:
        return self.period


@dataclass(frozen=True)
class DailyAt:
    """Once a day at ``hour`` o'clock in ``tz`` (APScheduler's calendar arithmetic,
    daylight saving included where the zone keeps it)."""

    hour: int
    tz: ZoneInfo

    def first(self, now: datetime) -> datetime:
        trigger = CronTrigger(hour=self.hour, minute=0, second=0, timezone=self.tz)
        found: datetime = trigger.get_next_fire_time(None, now)
        return found

    def after(self, ran: datetime) -> datetime:
        return self.first(ran + timedelta(seconds=1))

    @property
    def longest_wait(self) -> timedelta:
        return timedelta(days=1, hours=1)  # a day, and an hour of daylight saving


@dataclass
class _Timed:
    name: str
    when: Every | DailyAt
    job: Job
    due: datetime | None = None
    running: asyncio.Task[None] | None = field(default=None, repr=False)


class Ticker:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._timed: list[_Timed] = []

    def add(self, name: str, when: Every | DailyAt, job: Job) -> None:
        self._timed.append(_Timed(name, when, job))

    def start_due(self) -> list[asyncio.Task[None]]:
        """Start every job due now (in the order they were added); their tasks."""
        now = self.clock()
        started = []
        for timed in self._timed:
            if timed.due is None or timed.due - now > timed.when.longest_wait:
                # First seen, or the clock was set back (NTP, a resumed machine): due
                # again from now, not once the clock has caught up with the old time.
                timed.due = timed.when.first(now)
            if timed.running is not None or now < timed.due:
                continue
            timed.due = timed.when.after(now)
            timed.running = asyncio.create_task(self._run(timed, now), name=timed.name)
            started.append(timed.running)
        return started

    async def tick(self) -> list[str]:
        """Run every job due now, to its end; the names of those run."""
        tasks = self.start_due()
        await asyncio.gather(*tasks)
        return [task.get_name() for task in tasks]

    async def _run(self, timed: _Timed, now: datetime) -> None:
        try:
            await timed.job(now)
        except Exception as exc:  # the store is away, say: the next time tries again
            log.error("%s failed: %s", timed.name, type(exc).__name__)
        finally:
            timed.running = None

    async def run(self, stop: asyncio.Event, every: float = 1.0, patience: float = 30.0) -> None:
        """Tick every ``every`` seconds until ``stop``; then let the jobs running end, for
        ``patience`` seconds at most (a stop must not wait out a long backup): those cut
        off leave their work to the next start, as after a crash."""
        while not stop.is_set():
            self.start_due()
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                pass
        running = [t.running for t in self._timed if t.running is not None]
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=patience)
        for task in late:
            log.warning("%s cut off by the stop", task.get_name())
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
