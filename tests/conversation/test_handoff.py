"""Hand-off: a customer asks for a person or complains; the team hears and answers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.conversation.engine import Engine
from bot.dispatcher import Dispatcher
from crm_core.models import Customer, OutboxMessage, Ticket
from crm_core.staff.agents import add_agent
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import START, Chat

BUDI = 5001


@pytest.fixture
async def budi(engine: Engine) -> Chat:
    chat = Chat(engine, sender=str(BUDI), display_name="Budi", telegram_id=BUDI)
    await chat.onboard(name="Budi Santoso")
    return chat


@pytest.mark.parametrize("text", ["admin", "Minta admin", "talk to a person"])
async def test_asking_for_a_person_opens_a_ticket_and_tells_every_agent(
    engine: Engine, budi: Chat, text: str
):
    await add_agent("Ani", START, telegram_id=9001)
    await add_agent("Sam", START, phone="+6281377778888", language="en")
    await budi.send(text)
    assert "teruskan ke tim kami" in budi.text
    ticket = await Ticket.get()
    assert (ticket.reason, ticket.excerpt, ticket.status) == ("person", text, "open")
    alerts = {(o.channel, o.address): o.body for o in await OutboxMessage.all()}
    assert set(alerts) == {("telegram", "9001"), ("whatsapp", "+6281377778888")}
    assert f"Tiket #{ticket.id}" in alerts[("telegram", "9001")]
    assert f"Ticket #{ticket.id}" in alerts[("whatsapp", "+6281377778888")]
    assert "Budi Santoso" in alerts[("telegram", "9001")]
    await budi.send(text)  # asking again: no second ticket; the words reach the team
    assert "sudah tahu" in budi.text
    assert await Ticket.all().count() == 1 and await OutboxMessage.all().count() == 4
    relayed = [o.body for o in await OutboxMessage.all().order_by("id")][2:]
    assert all(r.endswith(f"\n{text}") for r in relayed)


async def test_a_complaint_mid_order_opens_a_ticket_and_the_order_waits(engine: Engine, budi: Chat):
    await add_agent("Ani", START, telegram_id=9001)
    await budi.send("pesan")
    await budi.send("kaos polos")
    await budi.send("kemarin kaosnya robek, saya kecewa")
    assert "teruskan ke tim kami" in budi.text and "kami simpan" in budi.text
    assert (await Ticket.get()).reason == "complaint"
    await Ticket.filter(status="open").update(status="closed", closed_by="Ani")
    await budi.send("hitam")  # the hand-off over, the order carries on where it was
    assert "pilih ukurannya" in budi.text


async def test_the_assigned_agent_alone_is_told(engine: Engine, budi: Chat):
    ani = await add_agent("Ani", START, telegram_id=9001)
    await add_agent("Dewi", START, telegram_id=9002)
    await Customer.filter(name="Budi Santoso").update(assigned_agent_id=ani.id)
    await budi.send("admin")
    assert [o.address for o in await OutboxMessage.all()] == ["9001"]


async def test_an_agent_sees_answers_and_closes_the_ticket(
    engine: Engine, budi: Chat, driver: Any, fake_telegram: FakeTelegram
):
    await add_agent("Ani", START, telegram_id=9001)
    ani = Chat(engine, sender="9001", telegram_id=9001)
    ani.now = budi.now
    await budi.send("barangnya belum sampai")
    await Dispatcher({"telegram": driver}, clock=lambda: budi.now).run_once()
    assert "belum sampai" in fake_telegram.to(9001)[0].text
    customer = await Customer.get(name="Budi Santoso")
    await ani.send("/tiket")
    assert "belum sampai" in ani.text
    await ani.send(f"/pelanggan {customer.id}")
    assert "Tiket terbuka: #1" in ani.text
    await ani.send(f"/balas {customer.id}: Maaf, paket Anda tiba besok siang.")
    await Dispatcher({"telegram": driver}, clock=lambda: ani.now).run_once()
    assert fake_telegram.to(BUDI)[-1].text == "Maaf, paket Anda tiba besok siang."
    await ani.send("/tiket tutup 1")
    assert "ditutup" in ani.text
    await ani.send("/tiket tutup 1")
    assert "sudah selesai (diakhiri Ani)" in ani.text
    await ani.send("/tiket tutup 99")
    assert "Tidak ada tiket #99" in ani.text
    await ani.send("/tiket")
    assert "Tidak ada tiket terbuka" in ani.text


async def test_a_street_called_rusak_is_an_address_not_a_complaint(engine: Engine, budi: Chat):
    await budi.send("tote bag 1")
    await budi.send("Jl. Jembatan Rusak No. 5, Bandung")
    assert await Ticket.all().count() == 0
    assert "Nomor HP penerima" in budi.text


async def test_a_whatsapp_agent_gets_ticket_alerts_inside_their_window(
    engine: Engine, channel: Any, fake_twilio: Any
):
    await add_agent("Sam", START, phone="+6281377778888")
    sam = Chat(engine, channel="whatsapp", sender="+6281377778888", verified_phone="+6281377778888")
    budi = Chat(engine, sender="1001", telegram_id=1001, display_name="Budi")
    await budi.onboard(name="Budi")
    sam.now = budi.now
    await sam.send("/tugas")  # Sam writes to the bot: his window opens
    await budi.send("admin")
    await Dispatcher({"whatsapp": channel}, clock=lambda: budi.now).run_once()
    assert any("Tiket #1" in (m.body or "") for m in fake_twilio.to("+6281377778888"))
