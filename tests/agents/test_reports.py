"""/laporan and /segmen as an agent uses them: through the real Telegram drivers against
the fake Bot API (the charts arrive as photos), and in the engine for WhatsApp."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

import pytest

from bot.agents import reports
from bot.conversation.engine import Engine
from bot.inbound import Reply
from crm_core.insight.analytics import Report, build_report
from crm_core.insight.periods import Period
from crm_core.models import Message
from crm_core.staff.agents import add_agent
from tests.fakes.telegram_api import FakeTelegram, handled, message_update
from tests.support.chat import START, Chat
from tests.support.report_shop import png_size, small_shop

ANI_AGENT, CUSTOMER = 9001, 5001
# Telegram dates the test messages about 21 September 2026 (1_790_000_000 s).


async def ask(driver: Any, fake: FakeTelegram, text: str, who: int = ANI_AGENT) -> str:
    before = len(fake.to(who))
    await handled(driver, message_update(who, text))
    return "\n".join(s.text for s in fake.to(who)[before:])


async def test_laporan_sends_the_summary_and_the_charts(driver: Any, fake_telegram: FakeTelegram):
    await add_agent("Ani", START, telegram_id=ANI_AGENT, role="agent")
    await small_shop()
    text = await ask(driver, fake_telegram, "/laporan 2026-11-01..2026-11-30")
    assert "Laporan 2026-11-01 s/d 2026-11-30" in text
    assert "Omzet: Rp410.000" in text and "Kaos Polos: 3 pcs, Rp225.000" in text
    assert "beli lagi: 50%" in text
    photos = fake_telegram.photos_to(ANI_AGENT)
    assert [p.filename for p in photos] == [
        "revenue.png", "products.png", "cities.png", "segments.png",
    ]  # fmt: skip
    assert all(png_size(p.data)[0] == 1080 for p in photos)  # a phone's full width


@pytest.mark.parametrize(
    "call, says",
    [("/laporan kemarin-lusa", "“kemarin-lusa” bukan periode. Tulis 7 hari, kemarin"),
     ("/laporan 2026-11-30..2026-11-01", "mulai (2026-11-30) setelah berakhir (2026-11-01)"),
     ("/report 2026-13", "“2026-13” bukan periode"),
     ("/segmen vip", "Tidak bisa. Tidak ada segmen “vip”; pilih salah satu: Juara, Setia")],
)  # fmt: skip
async def test_bad_report_requests_are_explained(
    driver: Any, fake_telegram: FakeTelegram, call: str, says: str
):
    await add_agent("Ani", START, telegram_id=ANI_AGENT)
    assert says in await ask(driver, fake_telegram, call)
    assert fake_telegram.photos_to(ANI_AGENT) == []


async def test_segmen_sizes_then_members(driver: Any, fake_telegram: FakeTelegram):
    await add_agent("Ani", START, telegram_id=ANI_AGENT)
    await small_shop()
    # The shop's segments as of the message's date (September 2026).
    sizes = await ask(driver, fake_telegram, "/segmen")
    assert "Segmen pelanggan hari ini" in sizes and "Berisiko pergi (at_risk)" in sizes
    listed = await ask(driver, fake_telegram, "/segmen setia")
    assert "Segmen Setia: 1 pelanggan (halaman 1/1)" in listed
    assert "Ani: 3 pesanan, Rp345.000, terakhir 30 Nov 2026 23:30" in listed


async def test_customers_cannot_see_reports(driver: Any, fake_telegram: FakeTelegram):
    await small_shop()
    answer = await ask(driver, fake_telegram, "/laporan", who=CUSTOMER)
    assert "Omzet" not in answer and "Laporan" not in answer
    assert fake_telegram.photos_to(CUSTOMER) == []


async def test_whatsapp_agents_get_the_text_and_the_charts_period_to_link(engine: Engine):
    await add_agent("Ani", START, phone="+6281377778888")
    await small_shop()
    agent = Chat(engine, channel="whatsapp", sender="+6281377778888",
                 verified_phone="+6281377778888")  # fmt: skip
    [reply] = await agent.send("/laporan 2026-11")
    assert "Omzet: Rp410.000" in reply.text
    # WhatsApp takes pictures by link: the channel sends signed links for these days
    # (see test_whatsapp), so the text does not send the agent elsewhere.
    assert "Grafik hanya dikirim di Telegram" not in reply.text and reply.images == ()
    assert reply.chart_days == (date(2026, 11, 1), date(2026, 11, 30))


def test_the_terminal_chat_saves_charts_and_says_where(tmp_path: Any):
    from bot.inbound import Image, Reply
    from bot.terminal_chat import render

    shown = render(Reply("Laporan", images=(Image("revenue.png", b"\x89PNG..."),)), tmp_path)
    assert shown == f"Laporan\n(chart saved: {tmp_path / 'revenue.png'})"
    assert (tmp_path / "revenue.png").read_bytes() == b"\x89PNG..."


async def test_other_chats_are_answered_while_a_report_is_built(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    """/laporan built the report inside the engine's per-message transaction, which on
    SQLite holds the store's one connection: every other chat waited for the whole
    report (seconds over a year of orders). Now it is built after that commits."""
    await add_agent("Ani", START, phone="+6281377778888")
    await small_shop()
    agent = Chat(engine, channel="whatsapp", sender="+6281377778888",
                 verified_phone="+6281377778888")  # fmt: skip
    customer = Chat(engine, channel="whatsapp", sender="+6281355556666",
                    verified_phone="+6281355556666")  # fmt: skip
    building = asyncio.Event()

    async def customer_writes() -> list[Reply]:
        await building.wait()
        return await customer.send("halo")

    # Started before the agent's message, so outside any transaction of its.
    writing = asyncio.create_task(customer_writes())

    async def report_while_a_customer_writes(period: Period, now: datetime) -> Report:
        building.set()
        await asyncio.wait_for(asyncio.shield(writing), timeout=5)
        return await build_report(period, now)

    monkeypatch.setattr(reports, "build_report", report_while_a_customer_writes)
    [reply] = await agent.send("/laporan 2026-11")
    assert "Omzet: Rp410.000" in reply.text
    assert writing.done() and writing.result()
    assert await Message.filter(direction="out", customer_id=None).count() == 1


async def test_a_report_that_fails_after_the_commit_is_answered_not_retried(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    """Built after the transaction, a failing report cannot roll the message back: the
    agent gets the apology, and the message is logged once."""
    await add_agent("Ani", START, phone="+6281377778888")
    agent = Chat(engine, channel="whatsapp", sender="+6281377778888",
                 verified_phone="+6281377778888")  # fmt: skip

    async def broken(period: Period, now: datetime) -> Report:
        raise RuntimeError("the store went away")

    monkeypatch.setattr(reports, "build_report", broken)
    [reply] = await agent.send("/laporan 2026-11")
    assert reply.text == engine.texts.render("error", "id")
    inbound = [m.body for m in await Message.filter(direction="in")]  # bodies are sealed
    assert inbound == ["/laporan 2026-11"]
