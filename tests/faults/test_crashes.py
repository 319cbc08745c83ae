"""Processes killed for real (SIGKILL, at random moments, many times in a row), then run
again as a shop would: what the customers received, and what the store says of it.

The promise under test (README, "What a crash does"): an offer is sent at most once, and
every offer whose send was not cut off reaches its customer exactly once; the one that
was in flight at a kill is marked unknown, never guessed."""

from __future__ import annotations

import asyncio
import html
import random
import shutil
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from crm_core.models import Conversation, Customer, Message, OutboxMessage
from crm_core.privacy.sealing import chat_index
from crm_core.store import open_store
from tests.fakes.telegram_api import TOKEN, FakeTelegram, message_update
from tests.support.campaign_shop import NOW, due_customers, langgan_env, langgan_sweep, start_sweep
from tests.support.data_key import DATA_KEY
from tests.support.stores import truncate_all

DUE = 40
KILLS = 10


@pytest.fixture(params=["sqlite", "postgres"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A store this test and the `langgan` processes it starts both open."""
    if request.param == "sqlite":
        path = tmp_path / "langgan.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite://{path}"
        async with open_store(url, DATA_KEY, bring_up_to_date=False):
            yield url
    else:
        url = request.getfixturevalue("postgres_url")
        async with open_store(url, DATA_KEY, bring_up_to_date=False):
            await truncate_all()
            yield url


async def kill_at_random(
    process: asyncio.subprocess.Process, fake: FakeTelegram, rng: random.Random
) -> float | None:
    """Kill the process at a random moment: while it starts and queues, or after a random
    number of its sends have reached Telegram, mid-send. Returns when (monotonic), or None
    when it ended first."""
    ended = asyncio.ensure_future(process.wait())
    if rng.random() < 0.3:  # a moment in its start or its queueing
        await asyncio.wait([ended], timeout=rng.uniform(0.2, 2.5))
    else:  # after a few of its sends arrived, anywhere inside the next
        arrived = asyncio.ensure_future(fake.wait_sent(len(fake.sent) + rng.randint(1, 6)))
        await asyncio.wait([ended, arrived], timeout=20, return_when=asyncio.FIRST_COMPLETED)
        arrived.cancel()
        await asyncio.wait([ended], timeout=rng.uniform(0, fake.delay))
    if process.returncode is not None:
        return None
    killed = time.monotonic()
    process.kill()  # SIGKILL: no clean-up, no finally
    await ended
    return killed


def in_flight_at(sent_arrived: float, sent_answered: float | None, kills: list[float]) -> bool:
    return any(sent_arrived <= k and (sent_answered is None or sent_answered >= k) for k in kills)


async def test_sweeps_killed_mid_send_never_send_an_offer_twice_and_lose_none_else(
    store_url: str, tmp_path: Path, fake_telegram: FakeTelegram
):
    await due_customers(DUE)
    fake_telegram.delay = 0.03  # a slow Telegram: kills land inside sends
    # A wide terminal: each outcome on one line, to be counted.
    telegram = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake_telegram.url,
        "COLUMNS": "300",
    }
    rng = random.Random(15)
    kills: list[float] = []
    for _ in range(KILLS):
        process = await start_sweep(store_url, tmp_path, **telegram)
        if (killed := await kill_at_random(process, fake_telegram, rng)) is not None:
            kills.append(killed)
    assert len(kills) >= KILLS // 2, "the sweeps ended before they could be killed"

    # Then as a shop would: the sweep again, and later ones.
    outputs = []
    for later in (timedelta(0), timedelta(minutes=10), timedelta(hours=1)):
        code, output = await langgan_sweep(store_url, tmp_path, NOW + later, **telegram)
        assert code == 0, output
        assert "Traceback" not in output
        outputs.append(output)

    offers = [s for s in fake_telegram.sent if "sudah sampai?" in s.text]
    received = Counter(s.chat_id for s in offers)
    # Never twice.
    assert [chat for chat, n in received.items() if n > 1] == []
    rows = {r.customer_id: r for r in await OutboxMessage.filter(kind="marketing")}
    chats = {c.id: 10_000 + int(c.name.rsplit(" ", 1)[1]) for c in await Customer.all()}
    assert len(rows) == DUE, "every due customer's offer was queued, once"
    unknown = {cid for cid, r in rows.items() if r.status == "unknown"}
    # Each kill cut off at most the one send it interrupted.
    assert len(unknown) <= len(kills)
    for cid, row in rows.items():
        chat = chats[cid]
        if cid in unknown:
            # Unknown only when cut off: if it reached Telegram, it was in flight at a kill.
            for s in (s for s in offers if s.chat_id == chat):
                assert in_flight_at(s.arrived, s.answered, kills)
        else:
            # Everyone else received it exactly once, and the store says so.
            assert received[chat] == 1, (cid, row.status, row.error)
            assert row.status == "sent"
    assert await Message.filter(direction="out", status="sent").count() == DUE - len(unknown)
    # The last sweep tells each of them truly: sent, or cut off.
    last = outputs[-1]
    assert last.count("already sent for this event") == DUE - len(unknown)
    assert last.count("its send was cut off") == len(unknown)
    assert "waiting" not in last and "queued" not in last


CUSTOMERS = 12
SCRIPT = ("halo", "ya", "Budi", "Bandung", "lewati", "kak harga kaos brp?", "makasih kak")
RUN_KILLS = 6
SECRET = "crash-test-secret-1234567890"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def telegram_delivers(
    url: str, chat: int, texts: tuple[str, ...], accepted: list[int], up: asyncio.Event
) -> None:
    """Telegram's side of a webhook: each update is posted until it is answered 200
    (a process that died, or any other answer, gets it again), in the chat's order.
    Telegram waits a while before trying again; here, until the service is ``up``."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as http:
        for text in texts:
            update = message_update(chat, text)
            answered = None
            while answered != 200:
                try:
                    async with http.post(url, json=update, headers=headers) as response:
                        answered = response.status
                except aiohttp.ClientError:  # no service there, or it died mid-request
                    answered = None
                    await up.wait()
                assert answered in (None, 200), f"a live service answered {answered}"
            accepted.append(update["update_id"])


async def start_run(
    store_url: str, cwd: Path, port: int, fake: FakeTelegram, up: asyncio.Event
) -> Any:
    """``langgan run``, once its web server takes requests (its log says so): ``up``."""
    env = langgan_env(
        store_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=fake.url, TELEGRAM_MODE="webhook",
        TELEGRAM_WEBHOOK_SECRET=SECRET, LANGGAN_PUBLIC_URL="https://toko.example",
        LANGGAN_HTTP_PORT=str(port), TELEGRAM_RATE="1000",
    )  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", cwd=cwd, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    while b"web server on" not in (line := await process.stderr.readline()):
        assert line, "langgan run ended before its web server started"
    up.set()
    return process


async def test_langgan_run_killed_mid_webhook_answers_every_accepted_update_once(
    store_url: str, tmp_path: Path, fake_telegram: FakeTelegram
):
    fake_telegram.latency = 0.05  # each reply is on its way for a while: kills land there
    fake_telegram.delay = 0.01
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/telegram"
    accepted: list[int] = []
    chats = [20_000 + i for i in range(CUSTOMERS)]
    up = asyncio.Event()  # a service takes webhooks
    customers = asyncio.gather(*(telegram_delivers(url, c, SCRIPT, accepted, up) for c in chats))
    rng = random.Random(16)
    kills: list[float] = []
    for _ in range(RUN_KILLS):
        process = await start_run(store_url, tmp_path, port, fake_telegram, up)
        ended = asyncio.ensure_future(process.wait())
        # Once it answers, after a few of its replies (the customers keep writing), with
        # others still on their way to Telegram.
        arrived = asyncio.ensure_future(
            fake_telegram.wait_sent(len(fake_telegram.sent) + rng.randint(1, 8))
        )
        await asyncio.wait([ended, arrived], timeout=30, return_when=asyncio.FIRST_COMPLETED)
        arrived.cancel()
        await asyncio.wait([ended], timeout=rng.uniform(0, fake_telegram.latency))
        assert process.returncode is None, (await process.stderr.read()).decode()[-2000:]
        kills.append(time.monotonic())
        up.clear()
        process.kill()
        await ended
    # The last start runs to the end, as a shop's would.
    process = await start_run(store_url, tmp_path, port, fake_telegram, up)
    try:
        await asyncio.wait_for(customers, 120)
    finally:
        # Stopped as a shop stops it: it sends the replies it holds, then ends.
        process.terminate()
        _, err = await process.communicate()
    assert process.returncode == 0, err.decode()[-2000:]
    assert len(kills) == RUN_KILLS

    # Every update Telegram sent was accepted once, and logged once.
    assert len(accepted) == CUSTOMERS * len(SCRIPT)
    assert await Message.filter(direction="in").count() == CUSTOMERS * len(SCRIPT)
    for chat in chats:
        conversation = await Conversation.get(address_index=chat_index("telegram", str(chat)))
        customer = conversation.customer_id  # type: ignore[attr-defined]
        decided = [
            m.body
            for m in await Message.filter(customer_id=customer, direction="out").order_by("id")
        ]
        assert decided, chat
        assert await Message.filter(
            customer=customer, direction="out", status="sent"
        ).count() == len(decided)
        # What the customer received: every reply decided, in order; a reply appears
        # twice only where a kill cut in between its send and the record of it.
        got = fake_telegram.to(chat)
        kept = [
            s for i, s in enumerate(got)
            if not any(
                earlier.text == s.text and cut_off(earlier, kills, fake_telegram.latency)
                for earlier in got[:i]
            )
        ]  # fmt: skip
        assert [to_plain(s.text) for s in kept] == decided, chat
    # Nothing was left claimed by a dead process, and no reply was lost.
    assert not await OutboxMessage.filter(status__in=["pending", "sending", "failed"]).exists()


def cut_off(sent: Any, kills: list[float], latency: float) -> bool:
    """Whether a kill came while this send was in flight (from its request, ``latency``
    before it arrived), or before its end was written (the ends are written a batch at a
    time, some milliseconds after the answer)."""
    return any(sent.arrived - latency <= k <= (sent.answered or k) + 0.5 for k in kills)


def to_plain(html_text: str) -> str:
    """The text as the log keeps it: Telegram got it as HTML."""
    return html.unescape(html_text.replace("<b>", "*").replace("</b>", "*"))
