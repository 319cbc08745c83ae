"""Agents reaching customers: the contact policy, the outbox, the dispatcher."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from bot.conversation.engine import Engine
from bot.dispatcher import Dispatcher
from crm_core.models import AuditEvent, Contact, Customer, Message, OutboxMessage, Ticket
from crm_core.outreach.contact_policy import Service
from crm_core.outreach.outbox import HOST, enqueue, finish, take_back_lost, take_next
from crm_core.staff.agents import add_agent
from tests.fakes.telegram_api import FakeTelegram
from tests.support.chat import START, Chat
from tests.support.people import agent, customer
from tests.support.sleeps import Sleeps

BUDI = 5001


async def agent_chat(engine: Engine, name: str, telegram_id: int, role: str = "agent") -> Chat:
    await add_agent(name, START, telegram_id=telegram_id, role=role)
    chat = Chat(engine, sender=str(telegram_id), telegram_id=telegram_id)
    chat.now = START + timedelta(hours=1)
    return chat


@pytest.fixture
async def budi(engine: Engine) -> Customer:
    chat = Chat(engine, sender=str(BUDI), display_name="Budi", telegram_id=BUDI)
    await chat.onboard(name="Budi Santoso")
    return await Customer.get(name="Budi Santoso")


async def test_send_goes_through_the_gate_and_out_by_the_outbox(
    engine: Engine, budi: Customer, driver: Any, fake_telegram: FakeTelegram
):
    ani = await agent_chat(engine, "Ani", 9001)
    await ani.send(f"/kirim {budi.id}: Halo Budi, kaos hitam L sudah ada lagi!")
    assert "masuk antrean" in ani.text
    dispatcher = Dispatcher({"telegram": driver}, clock=lambda: ani.now)
    assert await dispatcher.run_once() == 1
    [sent] = fake_telegram.to(BUDI)[-1:]
    assert sent.text == "Halo Budi, kaos hitam L sudah ada lagi!"
    assert (await OutboxMessage.get()).status == "sent"
    logged = await Message.filter(direction="out", customer_id=budi.id).order_by("-id").first()
    assert logged is not None and logged.status == "sent" and logged.external_id
    assert await dispatcher.run_once() == 0  # nothing twice

    # A second agent, inside the cooldown, is told who and until when.
    dewi = await agent_chat(engine, "Dewi", 9002)
    await dewi.send(f"/kirim {budi.id}: Promo akhir bulan!")
    assert "Ani sudah menghubunginya" in dewi.text and "boleh dihubungi lagi" in dewi.text
    # Budi wrote in today: answering him is service, and the refusal says how.
    assert f"Pakai /balas {budi.id}: pesan" in dewi.text
    assert await OutboxMessage.all().count() == 1
    customer = await Customer.get(id=budi.id)
    assert customer.last_contacted_by == "Ani"


async def test_two_agents_at_the_same_instant_send_exactly_one(engine: Engine, budi: Customer):
    ani = await agent_chat(engine, "Ani", 9001)
    dewi = await agent_chat(engine, "Dewi", 9002)
    # Open enough pooled connections first, so the two really overlap (PostgreSQL).
    await asyncio.gather(*(Customer.filter(id=i).exists() for i in range(6)))
    await asyncio.gather(
        ani.send(f"/kirim {budi.id}: dari Ani"), dewi.send(f"/kirim {budi.id}: dari Dewi")
    )
    assert await OutboxMessage.all().count() == 1
    assert await Contact.all().count() == 1
    winner = (await Contact.get()).by
    loser = dewi if winner == "Ani" else ani
    assert f"{winner} sudah menghubunginya" in loser.text


@pytest.mark.parametrize(
    ("change", "answer"),
    [({"blacklisted": True}, "di-blacklist"), ({"opted_out_at": START}, "STOP"),
     ({"consent_marketing": False}, "tidak memberi izin")],
)  # fmt: skip
async def test_the_customers_no_is_never_overridden(
    engine: Engine, budi: Customer, change: dict[str, Any], answer: str
):
    await Customer.filter(id=budi.id).update(**change)
    owner = await agent_chat(engine, "Owner", 1, role="admin")
    await owner.send(f"/kirim {budi.id}: halo")
    assert answer in owner.text
    await owner.send(f"/paksakirim {budi.id}: pelanggan minta dihubungi | halo")
    assert answer in owner.text
    assert await OutboxMessage.all().count() == 0


async def test_an_admin_may_set_the_cooldown_aside_with_a_reason(engine: Engine, budi: Customer):
    ani = await agent_chat(engine, "Ani", 9001)
    await ani.send(f"/kirim {budi.id}: pertama")
    await ani.send(f"/paksakirim {budi.id}: salah kirim | kedua")
    assert "Hanya admin" in ani.text
    owner = await agent_chat(engine, "Owner", 1, role="admin")
    await owner.send(f"/paksakirim {budi.id}: paket salah alamat | Mohon kirim alamat baru")
    assert "masuk antrean" in owner.text
    assert await OutboxMessage.all().count() == 2
    override = await AuditEvent.filter(action="customer.send").order_by("-id").first()
    assert override is not None and override.detail["override_reason"] == "paket salah alamat"
    await owner.send(f"/paksakirim {budi.id}: tanpa pesan")
    assert owner.text.startswith("Cara pakai: /paksakirim")


async def test_reply_is_service_not_contact(engine: Engine, budi: Customer):
    ani = await agent_chat(engine, "Ani", 9001)
    await ani.send(f"/kirim {budi.id}: promo")
    await ani.send(f"/balas {budi.id}: Pesanan Anda dikirim besok pagi ya")
    assert "masuk antrean" in ani.text
    assert await OutboxMessage.all().count() == 2 and await Contact.all().count() == 1
    ani.now += timedelta(days=2)
    await ani.send(f"/balas {budi.id}: PROMO diskon 50%")
    assert "pakai /kirim" in ani.text
    assert await OutboxMessage.all().count() == 2


async def test_whatsapp_free_text_waits_for_the_window(engine: Engine):
    siti = Chat(
        engine, channel="whatsapp", sender="+6281234567890", verified_phone="+6281234567890"
    )
    await siti.onboard(name="Siti")
    ani = await agent_chat(engine, "Ani", 9001)
    ani.now = siti.now + timedelta(hours=30)
    await ani.send("/kirim siti: promo")
    assert "lebih dari 24 jam" in ani.text
    assert await OutboxMessage.all().count() == 0 and await Contact.all().count() == 0


async def test_failed_and_flooded_sends_are_retried_then_recorded(
    engine: Engine, budi: Customer, driver: Any, fake_telegram: FakeTelegram
):
    ani = await agent_chat(engine, "Ani", 9001)
    await ani.send(f"/kirim {budi.id}: halo")
    clock = [ani.now]
    dispatcher = Dispatcher({"telegram": driver}, clock=lambda: clock[0])
    fake_telegram.fail_next("sendMessage", 429, retry_after=5)
    await dispatcher.run_once()
    row = await OutboxMessage.get()
    assert row.status == "pending" and row.attempts == 1 and "flood" in (row.error or "")
    clock[0] += timedelta(seconds=1)
    assert await dispatcher.run_once() == 0  # not due yet
    clock[0] += timedelta(seconds=5)
    fake_telegram.fail_next(
        "sendMessage", 403, description="Forbidden: bot was blocked by the user"
    )
    await dispatcher.run_once()
    row = await OutboxMessage.get()
    assert row.status == "failed" and "blocked" in (row.error or "")
    logged = await Message.get(id=row.message_id)
    assert logged.status == "failed"


async def test_telegram_sends_keep_to_one_a_second_per_chat_and_thirty_overall(
    engine: Engine, budi: Customer, driver: Any, fake_telegram: FakeTelegram, sleeps: Sleeps
):
    """Measured when each request reaches the fake Bot API, on the clock the driver
    paces its sends by (its waits pass at once)."""
    from crm_core.outreach.outbox import enqueue

    arrivals: list[tuple[int, float]] = []
    original = fake_telegram._sendmessage

    async def timed(params: dict[str, Any]) -> dict[str, Any]:
        arrivals.append((int(params["chat_id"]), sleeps.clock()))
        return await original(params)

    fake_telegram._sendmessage = timed  # type: ignore[method-assign]
    now = START + timedelta(hours=1)
    for i in range(3):
        await enqueue("telegram", str(BUDI), f"pesan {i}", now, service=Service.ANSWER)
    for chat in range(40):
        await enqueue("telegram", str(7000 + chat), "halo", now, service=Service.ANSWER)
    dispatcher = Dispatcher({"telegram": driver}, clock=lambda: now)
    await dispatcher.run_once()
    same_chat = [t for chat, t in arrivals if chat == BUDI]
    assert len(same_chat) == 3 and same_chat[-1] - same_chat[0] >= 2 * 0.95
    assert len(arrivals) == 43
    # 43 sends at 30 a second overall take at least 42/30 seconds.
    assert arrivals[-1][1] - arrivals[0][1] >= 42 / 30 * 0.95


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
