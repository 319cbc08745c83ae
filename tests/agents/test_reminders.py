"""Reminders: set from the agent's chat, delivered to it when due; /tugas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.conversation.engine import Engine
from bot.dispatcher import Dispatcher
from bot.shop_jobs import release_due_reminders
from crm_core.errors import InputError
from crm_core.models import Customer, Reminder
from crm_core.staff.agents import add_agent
from crm_core.staff.time_words import parse_when
from message_templates import Texts
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import START, Chat

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta


@pytest.mark.parametrize(
    ("text", "due", "rest"),
    [("3d tanya ukuran", NOW + timedelta(days=3), "tanya ukuran"),
     ("2h", NOW + timedelta(hours=2), ""),
     ("besok 14:30 telepon", datetime(2026, 11, 3, 14, 30, tzinfo=JAKARTA), "telepon"),
     ("besok", datetime(2026, 11, 3, 9, 0, tzinfo=JAKARTA), ""),
     ("lusa 08.15 x", datetime(2026, 11, 4, 8, 15, tzinfo=JAKARTA), "x"),
     ("2026-12-01 kirim katalog", datetime(2026, 12, 1, 9, 0, tzinfo=JAKARTA), "kirim katalog"),
     ("2026-12-01 16:00 a", datetime(2026, 12, 1, 16, 0, tzinfo=JAKARTA), "a"),
     ("2026-12-01T16:00 a", datetime(2026, 12, 1, 16, 0, tzinfo=JAKARTA), "a"),
     # As a busy agent types it; NOW is Monday 2 Nov 2026, 10:00 in Jakarta.
     ("3 hari lagi tanya", NOW + timedelta(days=3), "tanya"),
     ("2 jam cek resi", NOW + timedelta(hours=2), "cek resi"),
     ("besok pagi follow up", datetime(2026, 11, 3, 9, 0, tzinfo=JAKARTA), "follow up"),
     ("besok sore 17:30 telp", datetime(2026, 11, 3, 17, 30, tzinfo=JAKARTA), "telp"),
     ("senin 10:00 tagih", datetime(2026, 11, 9, 10, 0, tzinfo=JAKARTA), "tagih"),
     ("jumat x", datetime(2026, 11, 6, 9, 0, tzinfo=JAKARTA), "x"),
     ("nanti sore telp", datetime(2026, 11, 2, 16, 0, tzinfo=JAKARTA), "telp"),
     ("hari ini 15:00 x", datetime(2026, 11, 2, 15, 0, tzinfo=JAKARTA), "x"),
     ("05/11/2026 x", datetime(2026, 11, 5, 9, 0, tzinfo=JAKARTA), "x")],
)  # fmt: skip
def test_when_as_agents_write_it(text: str, due: datetime, rest: str):
    assert parse_when(text, NOW, JAKARTA) == (due, rest)


@pytest.mark.parametrize(
    ("text", "answer"),
    [("2026-01-01 lalu", "already passed"), ("kapan-kapan", "not a time"), ("", "Say when"),
     ("besok 25:00", "not a time of day"), ("0d", "already passed")],
)  # fmt: skip
def test_what_is_not_a_future_time(text: str, answer: str):
    with pytest.raises(InputError, match=answer):
        parse_when(text, NOW, JAKARTA)


async def test_a_reminder_reaches_the_agent_when_due_and_only_once(
    engine: Engine, chat: Chat, driver: Any, fake_telegram: FakeTelegram
):
    await chat.onboard(name="Budi Santoso")
    await add_agent("Ani", START, telegram_id=9001)
    ani = Chat(engine, sender="9001", telegram_id=9001)
    ani.now = chat.now
    await ani.send("/ingatkan budi: 3d tanyakan ukuran kemeja")
    assert "dipasang" in ani.text
    await ani.send("/tugas")
    assert "tanyakan ukuran kemeja" in ani.text

    clock = [ani.now + timedelta(days=2)]
    texts = Texts()
    jobs = [lambda now: release_due_reminders(texts, now)]
    dispatcher = Dispatcher({"telegram": driver}, clock=lambda: clock[0], jobs=jobs)
    await dispatcher.run_once()
    assert fake_telegram.to(9001) == []  # not yet
    clock[0] += timedelta(days=1, minutes=1)
    await dispatcher.run_once()
    await dispatcher.run_once()
    [delivered] = fake_telegram.to(9001)
    assert (
        delivered.text.startswith("Pengingat: #1 Budi Santoso")
        and "ukuran kemeja" in delivered.text
    )
    assert (await Reminder.get()).status == "sent"
    await ani.send("/tugas")
    assert "Tidak ada tugas" in ani.text


async def test_a_reminder_in_the_past_is_refused(engine: Engine, chat: Chat):
    await chat.onboard(name="Budi Santoso")
    await add_agent("Ani", START, telegram_id=9001)
    ani = Chat(engine, sender="9001", telegram_id=9001)
    await ani.send("/ingatkan budi: 2020-01-01 sudah lewat")
    assert "sudah lewat" in ani.text
    await ani.send("/ingatkan budi")
    assert ani.text.startswith("Cara pakai: /ingatkan")
    assert await Reminder.all().count() == 0


async def test_tasks_show_waiting_customers(engine: Engine, chat: Chat):
    await chat.onboard(name="Budi Santoso")
    await add_agent("Ani", START, telegram_id=9001)
    await chat.send("admin")
    ani = Chat(engine, sender="9001", telegram_id=9001)
    await ani.send("/tugas")
    assert "belum ada yang menangani" in ani.text and "Budi Santoso" in ani.text
    await ani.send("/klaim budi")
    await ani.send("/tugas")
    assert "Pelanggan Anda yang menunggu jawaban" in ani.text


async def test_a_removed_agents_waiting_customers_show_as_unhandled(engine: Engine, chat: Chat):
    from crm_core.staff.agents import remove_agent

    await chat.onboard(name="Budi Santoso")
    dewi = await add_agent("Dewi", START, telegram_id=9002)
    await Customer.filter(name="Budi Santoso").update(assigned_agent_id=dewi.id)
    await chat.send("admin")
    await remove_agent("Dewi", START)
    await add_agent("Ani", START, telegram_id=9001)
    ani = Chat(engine, sender="9001", telegram_id=9001)
    await ani.send("/tugas")
    assert "belum ada yang menangani" in ani.text and "Budi Santoso" in ani.text
