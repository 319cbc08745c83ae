"""The one ticker of ``langgan run``: each timed job runs when due by the clock it is
given, a failing job leaves the others to run, and a slow one holds nobody up."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.ticker import DailyAt, Every, Ticker

JAKARTA = ZoneInfo("Asia/Jakarta")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def recorder(runs: list[tuple[str, datetime]], name: str):  # type: ignore[no-untyped-def]
    async def job(now: datetime) -> None:
        runs.append((name, now))

    return job


async def test_jobs_run_when_due_by_the_clock_they_are_given():
    clock = Clock(datetime(2026, 11, 2, 18, 0, tzinfo=UTC))  # 01:00 in Jakarta
    ticker = Ticker(clock)
    runs: list[tuple[str, datetime]] = []
    ticker.add("sweep", Every(timedelta(minutes=5)), recorder(runs, "sweep"))
    ticker.add("backup", DailyAt(2, JAKARTA), recorder(runs, "backup"))
    assert await ticker.tick() == ["sweep"]  # at the first tick; the backup waits for 02:00
    clock.now += timedelta(minutes=4)
    assert await ticker.tick() == []
    clock.now += timedelta(minutes=1)
    assert await ticker.tick() == ["sweep"]
    clock.now = datetime(2026, 11, 2, 19, 0, tzinfo=UTC)  # 02:00 in Jakarta
    assert await ticker.tick() == ["sweep", "backup"]
    clock.now += timedelta(hours=23)
    assert await ticker.tick() == ["sweep"]  # no second backup the same night
    clock.now += timedelta(hours=1)
    assert await ticker.tick() == ["sweep", "backup"]
    assert [now for name, now in runs if name == "backup"] == [
        datetime(2026, 11, 3, 2, 0, tzinfo=JAKARTA),
        datetime(2026, 11, 4, 2, 0, tzinfo=JAKARTA),
    ]


async def test_a_failing_job_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
):
    clock = Clock(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    ticker = Ticker(clock)
    runs: list[tuple[str, datetime]] = []

    async def store_away(now: datetime) -> None:
        raise ConnectionRefusedError("secret://user:password@db")

    ticker.add("sweep", Every(timedelta(minutes=5)), store_away)
    ticker.add("outbox dispatch", Every(timedelta(seconds=1)), recorder(runs, "outbox"))
    with caplog.at_level(logging.ERROR):
        assert await ticker.tick() == ["sweep", "outbox dispatch"]
    assert runs == [("outbox", clock.now)]
    assert "sweep failed: ConnectionRefusedError" in caplog.text
    assert "password" not in caplog.text  # the error's type, never its text
    clock.now += timedelta(minutes=5)
    assert await ticker.tick() == ["sweep", "outbox dispatch"]  # tried again when due


async def test_a_slow_job_holds_nobody_up_and_is_never_run_twice_at_once():
    clock = Clock(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    ticker = Ticker(clock)
    release = asyncio.Event()
    started: list[datetime] = []
    runs: list[tuple[str, datetime]] = []

    async def long_sweep(now: datetime) -> None:
        started.append(now)
        await release.wait()

    ticker.add("sweep", Every(timedelta(seconds=1)), long_sweep)
    ticker.add("outbox dispatch", Every(timedelta(seconds=1)), recorder(runs, "outbox"))
    sweeping = ticker.start_due()
    await asyncio.gather(*sweeping[1:])  # the outbox's run ends; the sweep's goes on
    for _ in range(3):
        clock.now += timedelta(seconds=1)
        assert await ticker.tick() == ["outbox dispatch"]
    assert len(started) == 1 and len(runs) == 4
    release.set()
    await asyncio.gather(*sweeping)
    clock.now += timedelta(seconds=1)
    assert await ticker.tick() == ["sweep", "outbox dispatch"]
    assert len(started) == 2


async def test_run_ticks_until_stopped_and_waits_for_the_jobs_running():
    clock = Clock(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    ticker = Ticker(clock)
    stop = asyncio.Event()
    ended: list[datetime] = []

    async def last_job(now: datetime) -> None:
        stop.set()  # asked to stop while this job still runs
        for _ in range(5):  # and it goes on a while (the loop runs others meanwhile)
            await asyncio.sleep(0)
        ended.append(now)

    ticker.add("retention", Every(timedelta(hours=6)), last_job)
    await asyncio.wait_for(ticker.run(stop, every=60), timeout=10)
    assert ended == [clock.now]


async def test_a_stop_does_not_wait_out_a_job_for_ever(caplog: pytest.LogCaptureFixture):
    clock = Clock(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    ticker = Ticker(clock)
    stop = asyncio.Event()
    never = asyncio.Event()

    async def stuck_backup(now: datetime) -> None:
        stop.set()
        await never.wait()

    ticker.add("backup", Every(timedelta(days=1)), stuck_backup)
    with caplog.at_level(logging.WARNING):
        await asyncio.wait_for(ticker.run(stop, every=60, patience=0), timeout=10)
    assert "backup cut off by the stop" in caplog.text


async def test_jobs_go_on_when_the_clock_is_set_back():
    clock = Clock(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    ticker = Ticker(clock)
    runs: list[tuple[str, datetime]] = []
    ticker.add("outbox dispatch", Every(timedelta(seconds=1)), recorder(runs, "outbox"))
    assert await ticker.tick() == ["outbox dispatch"]
    clock.now -= timedelta(hours=1)  # NTP, or a machine resumed
    assert await ticker.tick() == ["outbox dispatch"]
    clock.now += timedelta(seconds=1)
    assert await ticker.tick() == ["outbox dispatch"]
    assert len(runs) == 3
