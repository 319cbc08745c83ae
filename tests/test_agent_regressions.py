"""Regression tests for the agents' side: each names what went wrong before."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from bot.conversation import Engine
from bot.dispatcher import Dispatcher
from crm_core.customers.records import attach_phone
from crm_core.models import (
    Customer,
    CustomerTag,
    Note,
    Order,
    OutboxMessage,
    Reminder,
    Ticket,
)
from crm_core.outreach.contact_policy import Service
from crm_core.outreach.outbox import HOST, enqueue, finish, take_back_lost, take_next
from crm_core.staff.agents import add_agent
from tests.support.chat import START, Chat


async def agent(engine: Engine, name: str = "Ani", telegram_id: int = 9001, **kw: Any) -> Chat:
    await add_agent(name, START, telegram_id=telegram_id, **kw)
    chat = Chat(engine, sender=str(telegram_id), telegram_id=telegram_id)
    chat.now = START + timedelta(hours=1)
    return chat


async def customer(engine: Engine, sender: str, name: str, **kw: Any) -> Customer:
    chat = Chat(engine, sender=sender, telegram_id=int(sender), display_name=name)
    await chat.onboard(name=name)
    if kw:
        await Customer.filter(name=name).update(**kw)
    return await Customer.get(name=name)


async def test_a_phone_with_spaces_never_falls_on_a_short_customer_id(engine: Engine):
    """ "/kirim 0812 3456 7890 Halo" went to customer #812."""
    budi = await customer(engine, "1001", "Budi", phone="+6281234567890", phone_verified=True)
    ani = await agent(engine)
    await ani.send("/kirim 0812 3456 7890 Halo Budi")  # the whole phone, then the text
    [row] = await OutboxMessage.all()
    assert (row.customer_id, row.body) == (budi.id, "Halo Budi")


async def test_a_longer_name_is_not_cut_to_a_shorter_one(engine: Engine):
    """ "/catat Ani Wijaya paketnya..." filed the note on "Ani"."""
    await customer(engine, "1001", "Ani")
    wijaya = await customer(engine, "1002", "Ani Wijaya")
    ani = await agent(engine, "Dewi")
    await ani.send("/catat Ani Wijaya paketnya sudah sampai")  # the longest name first
    assert "Ani Wijaya" in ani.text
    await ani.send("/catat Ani Wijaya: paketnya sudah sampai, jam 10:00")
    notes = [(n.customer_id, n.body) for n in await Note.all().order_by("id")]  # type: ignore[attr-defined]
    assert notes == [
        (wijaya.id, "paketnya sudah sampai"),
        (wijaya.id, "paketnya sudah sampai, jam 10:00"),
    ]


async def test_reply_needs_a_recent_message_or_an_open_ticket(engine: Engine):
    budi = await customer(engine, "1001", "Budi")
    ani = await agent(engine)
    ani.now = START + timedelta(days=3)
    await ani.send(f"/balas {budi.id}: PROMO 50%")
    assert "pakai /kirim" in ani.text
    await Ticket.create(customer=budi, reason="person", excerpt="admin", opened_at=START)
    await ani.send(f"/balas {budi.id}: Maaf menunggu, ini jawabannya")
    assert await OutboxMessage.filter(kind="service").count() == 1


async def test_a_reclaimed_outbox_row_is_ended_by_its_new_owner_only(engine: Engine):
    await enqueue("telegram", "1", "halo", START, service=Service.ANSWER)
    first = await take_next(START)
    assert first is not None
    # Its owner ran on another machine: after five minutes it is presumed lost.
    await OutboxMessage.filter(id=first.id).update(claimed_by="another-machine:4242:0")
    later = START + timedelta(minutes=6)
    assert await take_back_lost(later) == 1
    second = await take_next(later)
    assert second is not None and second.attempts == first.attempts + 1
    assert not await finish(first, "sent", later)
    assert await finish(second, "sent", later)
    assert await take_next(later) is None


async def test_a_stop_after_a_message_was_queued_cancels_it(
    engine: Engine, driver: Any, fake_telegram: Any
):
    budi_chat = Chat(engine, sender="1001", telegram_id=1001, display_name="Budi")
    await budi_chat.onboard(name="Budi")
    ani = await agent(engine)
    await ani.send("/kirim budi: promo")
    await budi_chat.send("STOP")
    await Dispatcher({"telegram": driver}, clock=lambda: ani.now).run_once()
    row = await OutboxMessage.get()
    assert row.status == "cancelled" and "STOP" in (row.error or "")
    assert "promo" not in [s.text for s in fake_telegram.to(1001)]


def dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


async def test_an_offer_cut_off_by_a_crash_waits_for_a_person_in_tasks(
    engine: Engine, driver: Any, fake_telegram: Any
):
    """An offer whose send a crash cut off may have arrived: /tugas shows it, and it
    goes again only when an agent says so, once."""
    budi = await customer(engine, "1001", "Budi")
    ani = await agent(engine)
    await ani.send("/kirim budi: promo kaos 20%")
    taken = await take_next(ani.now)  # a dispatcher takes it, and dies mid-send
    assert taken is not None
    await OutboxMessage.filter(id=taken.id).update(claimed_by=f"{HOST}:{dead_pid()}:0")
    ani.now += timedelta(seconds=1)  # on this machine: known lost at once
    await Dispatcher({"telegram": driver}, clock=lambda: ani.now).run_once()
    assert "promo kaos 20%" not in [s.text for s in fake_telegram.to(1001)]
    await ani.send("/tugas")
    assert "tidak pasti terkirim" in ani.text
    assert f"/kirimulang {taken.id} · #{budi.id} Budi" in ani.text
    await ani.send("/kirimulang 999")
    assert (
        ani.text
        == "Tidak bisa. Tidak ada promo #999 yang tidak pasti terkirim: lihat nomornya di /tugas."
    )
    await ani.send(f"/kirimulang {taken.id}")
    assert f"Promo untuk #{budi.id} Budi dikirim lagi" in ani.text
    await Dispatcher({"telegram": driver}, clock=lambda: ani.now).run_once()
    await Dispatcher({"telegram": driver}, clock=lambda: ani.now).run_once()
    assert [s.text for s in fake_telegram.to(1001)].count("promo kaos 20%") == 1
    await ani.send("/tugas")
    assert "kirimulang" not in ani.text
    await ani.send(f"/kirimulang {taken.id}")  # already sent: nothing to resend
    assert "Tidak ada promo" in ani.text


async def test_two_status_changes_at_once_only_one_wins(engine: Engine, chat: Chat):
    await chat.onboard()
    await chat.to_confirmation("tote bag 1")
    await chat.send("ya")
    ani = await agent(engine)
    dewi = await agent(engine, "Dewi", 9002)
    await asyncio.gather(*(Customer.filter(id=i).exists() for i in range(6)))
    await asyncio.gather(ani.send("/status 1 batal"), dewi.send("/status 1 selesai"))
    answers = [ani.text, dewi.text]
    assert sum("sekarang" in a for a in answers) == 1
    assert await OutboxMessage.all().count() == 1
    order = await Order.get()
    c = await Customer.get()
    assert c.orders_count == (0 if order.status == "batal" else 1)


async def test_an_order_number_too_big_for_the_store_is_answered_not_crashed(engine: Engine):
    ani = await agent(engine)
    await ani.send("/status 9999999999 dikirim")
    assert "Tidak ada pesanan 9999999999" in ani.text


async def test_a_merge_brings_tags_tickets_reminders_and_the_agent(engine: Engine):
    proven = await customer(engine, "1001", "Budi", phone="+6281234567890", phone_verified=True)
    other = await customer(engine, "1002", "Budi T")
    ani = await add_agent("Ani", START, telegram_id=9001)
    await Customer.filter(id=other.id).update(assigned_agent_id=ani.id)
    for c in (proven, other):
        await CustomerTag.create(customer=c, name="vip", created_at=START)
    await CustomerTag.create(customer=other, name="reseller", created_at=START)
    await Ticket.create(customer=other, reason="person", excerpt="admin", opened_at=START)
    await Reminder.create(agent=ani, customer=other, note="x", due_at=START + timedelta(days=1),
                          created_at=START)  # fmt: skip
    other = await Customer.get(id=other.id)
    await attach_phone(other, "+6281234567890", START + timedelta(hours=2), verified=True)
    kept = await Customer.get(id=proven.id)
    assert kept.assigned_agent_id == ani.id
    assert sorted(await CustomerTag.filter(customer_id=kept.id).values_list("name", flat=True)) == [
        "reseller", "vip",
    ]  # fmt: skip
    assert await Ticket.filter(customer_id=kept.id).count() == 1
    assert await Reminder.filter(customer_id=kept.id).count() == 1


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


@pytest.mark.parametrize("text", ["/kirim\n1: halo", "/ingatkan 1: besok 10:00 telepon"])
async def test_line_breaks_and_clock_times_in_the_text(engine: Engine, text: str):
    await customer(engine, "1001", "Budi")
    ani = await agent(engine)
    await ani.send(text)
    assert "tidak dikenal" not in ani.text and not ani.text.startswith("Cara pakai")
