"""A person's rights over their data: consent that can be proved, a copy of everything
held, erasure that leaves no trace, and the audit of who looked."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tortoise import Tortoise

from bot.cli import privacy as cli_privacy
from bot.cli.main import build_parser
from bot.cli.routing import Needs
from bot.conversation.engine import Engine
from crm_core.customers.lookup import resolve
from crm_core.errors import InputError, NotFound
from crm_core.models import (
    AuditEvent,
    ConsentEvent,
    Contact,
    Conversation,
    Customer,
    ErasedIdentity,
    Message,
    Order,
    OutboxMessage,
    Reminder,
    Ticket,
)
from crm_core.outreach.contact_policy import Gate, Permit, Rules
from crm_core.outreach.outbox import enqueue_permitted
from crm_core.privacy.data_export import customer_data
from crm_core.privacy.erasure import (
    erase_customer,
    is_erased_chat,
    is_erased_phone,
    is_erased_telegram,
)
from crm_core.staff.agents import add_agent
from tests.support.chat import START, Chat

JAKARTA = ZoneInfo("Asia/Jakarta")
ANI, BOSS = 9001, 9002


@pytest.fixture
async def ani(engine: Engine) -> Chat:
    """An agent (not an admin) in her Telegram chat with the bot."""
    await add_agent("Ani", START, telegram_id=ANI)
    return Chat(engine, sender=str(ANI), telegram_id=ANI)


@pytest.fixture
async def boss(engine: Engine) -> Chat:
    await add_agent("Bos", START, telegram_id=BOSS, role="admin")
    return Chat(engine, sender=str(BOSS), telegram_id=BOSS)


@pytest.fixture
async def budi(chat: Chat) -> Customer:
    """A customer who consented, ordered and left a phone and an email."""
    await chat.onboard(name="Budi Santoso", city="Bandung")
    await chat.to_confirmation("tote bag 2", address="Jl. Kenanga No. 7", phone="0812-3456-7890")
    await chat.send("ya")
    await chat.send("lewati")
    await Customer.filter(name="Budi Santoso").update(email="budi.santoso@contoh.id")
    return await Customer.get(name="Budi Santoso")


async def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    args = build_parser().parse_args(argv)
    assert args.run.__module__ == "bot.cli.privacy" and args.needs is Needs.STORE
    assert await cli_privacy.route(args, JAKARTA) == 0
    return capsys.readouterr().out


# -- consent -----------------------------------------------------------------------------


async def test_every_consent_change_is_an_event_with_the_words_and_the_card_shows_it(
    budi: Customer, chat: Chat, ani: Chat, capsys: pytest.CaptureFixture[str]
):
    await chat.send("STOP")
    await chat.send("MULAI")
    events = await ConsentEvent.filter(customer_id=budi.id).order_by("at")
    assert [(e.kind, e.given, e.recorded_by, e.channel) for e in events] == [
        ("marketing", True, "customer", "telegram"),
        ("opt_out", False, "customer", "telegram"),
        ("opt_in", True, "customer", "telegram"),
    ]
    assert "Bolehkah kami juga sesekali mengirim kabar promo" in events[0].wording
    assert [e.wording for e in events[1:]] == ["STOP", "MULAI"]

    await ani.send(f"/pelanggan {budi.id}")
    assert "Izin promo: ya (2 Nov 2026, telegram)" in ani.text
    await chat.send("berhenti")
    await ani.send(f"/pelanggan {budi.id}")
    assert "STOP sejak" in ani.text

    out = await cli(capsys, "consent", f"#{budi.id}")
    assert "sudah STOP" in out  # the shop's language: Indonesian by default
    assert out.count("opt_out") == 2 and "opt_in" in out and "marketing" in out
    assert await AuditEvent.filter(action="customer.consent_view", customer_id=budi.id).exists()


async def test_consent_of_a_customer_never_asked(
    engine: Engine, capsys: pytest.CaptureFixture[str]
):
    await Customer.create(name="Sari Dewi", created_at=START, updated_at=START)
    out = await cli(capsys, "consent", "Sari Dewi")
    assert "belum ditanya" in out and "Belum pernah ada izin yang dicatat" in out


# -- access ------------------------------------------------------------------------------


async def test_the_export_holds_everything_about_the_person(
    budi: Customer, ani: Chat, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    await ani.send(f"/catat {budi.id}: suka hitam")
    await ani.send(f"/tag {budi.id} vip")
    await ani.send(f"/ingatkan {budi.id}: besok 10:00 tanya ukuran")
    await Ticket.create(customer=budi, reason="person", excerpt="halo admin", opened_at=START)
    await Contact.create(customer=budi, by="Ani", kind="agent", at=START)
    path = tmp_path / "budi.json"
    out = await cli(capsys, "export", "customer", "0812 3456 7890", "--output", str(path))
    assert f"#{budi.id}" in out
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["customer"]["email"] == "budi.santoso@contoh.id"
    assert data["customer"]["phone"] == "+6281234567890"
    [order] = data["orders"]
    assert order["ship_address"] == "Jl. Kenanga No. 7" and order["total"] == 70_000
    assert order["items"][0]["product_name"] == "Tote Bag Kanvas"
    assert any(m["body"] == "Budi Santoso" for m in data["messages"])
    assert data["notes"][0]["body"] == "suka hitam" and data["tags"][0]["name"] == "vip"
    assert data["tickets"][0]["excerpt"] == "halo admin"
    assert data["reminders"][0]["note"] == "tanya ukuran"
    assert data["contacts"][0]["by"] == "Ani"
    assert data["consent_events"][0]["kind"] == "marketing"
    assert {"note.add", "tag.add"} <= {e["action"] for e in data["audit_events"]}
    assert data["chats"][0]["address"] == "1001"
    assert await AuditEvent.filter(action="customer.export", customer_id=budi.id).exists()


async def test_export_to_a_missing_folder_says_so_and_exports_nothing(
    budi: Customer, tmp_path: Path
):
    args = build_parser().parse_args(
        ["export", "customer", str(budi.id), "--output", str(tmp_path / "no" / "x.json")]
    )
    with pytest.raises(InputError, match="There is no folder"):
        await cli_privacy.route(args, JAKARTA)
    assert not await AuditEvent.filter(action="customer.export").exists()


async def test_asking_for_my_data_in_chat_opens_a_ticket_and_an_approval_sends_a_summary(
    budi: Customer, chat: Chat, ani: Chat
):
    await chat.send("data saya")
    assert "Permintaan salinan data Anda sudah kami terima" in chat.text
    ticket = await Ticket.get(reason="data_access")
    alert = await outbox_to(str(ANI))
    assert f"/setujui {ticket.id}" in alert.body and "salinan datanya" in alert.body
    # Nothing personal went to the customer's chat on their word alone.
    assert not [m for m in await OutboxMessage.all() if m.address == "1001"]
    await chat.send("data saya")
    assert "masih diproses" in chat.text
    assert await Ticket.filter(reason="data_access").count() == 1

    ani.now = chat.now
    await ani.send(f"/setujui {ticket.id}")
    assert "Ringkasan data dikirim" in ani.text
    summary = await outbox_to("1001")
    assert summary.kind == "service" and summary.customer_id == budi.id
    assert "Nama: Budi Santoso" in summary.body and "budi.santoso@contoh.id" in summary.body
    assert "1 pesanan" in summary.body
    assert (await Ticket.get(id=ticket.id)).status == "closed"
    await ani.send(f"/setujui {ticket.id}")
    assert "sudah ditutup oleh Ani" in ani.text


async def test_a_request_works_before_consent_and_in_english(engine: Engine):
    newcomer = Chat(engine, sender="2002", telegram_id=2002, display_name="Tom")
    await newcomer.send("halo")
    await newcomer.send("english")
    await newcomer.send("my data")
    assert "We have your request for a copy of your data" in newcomer.text
    assert "Reply *Yes* or *No*" in newcomer.text or "Yes" in newcomer.text
    assert await Ticket.filter(reason="data_access").exists()


async def test_approving_what_is_not_a_data_request_is_refused(
    budi: Customer, chat: Chat, ani: Chat
):
    await chat.send("admin")
    ticket = await Ticket.get()
    await ani.send(f"/setujui {ticket.id}")
    assert "bukan permintaan data" in ani.text
    await ani.send("/setujui 99")
    assert "Tidak ada tiket #99" in ani.text
    await ani.send("/approve abc")
    assert "/setujui NOMOR" in ani.text


# -- erasure -----------------------------------------------------------------------------


async def everything_stored() -> str:
    """Every row of every table, as text: where a trace would show."""
    rows = []
    for model in Tortoise.apps["langgan"].values():
        rows.extend(str(row) for row in await model.all().values())
    return "\n".join(rows)


async def test_after_erasure_no_table_holds_their_name_phone_or_email(
    budi: Customer, chat: Chat, ani: Chat, capsys: pytest.CaptureFixture[str]
):
    await ani.send("/cari Budi Santoso")
    await ani.send("/cari 0812 3456 7890")  # the number with spaces, in the team's own log
    await ani.send("/catat Budi Santoso: rumahnya di Jl. Kenanga No. 7, telp 081234567890")
    await ani.send(f"/ingatkan {budi.id}: besok 10:00 tawari kemeja")
    await chat.send("admin, paket saya ke Jl. Kenanga No. 7 belum sampai")
    await chat.send("data saya")
    conversation = await Conversation.get(customer_id=budi.id, channel="telegram")
    permit = await Gate(Rules()).permit(budi.id, conversation, "Ani", "agent", chat.now)
    assert isinstance(permit, Permit)
    await enqueue_permitted(permit, "Halo Budi Santoso, ada promo", chat.now, dedupe_key="promo")
    before = await everything_stored()
    for trace in ("Budi Santoso", "81234567890", "budi.santoso@contoh.id", "Kenanga",
                  "812 3456 7890"):  # fmt: skip
        assert trace in before

    out = await cli(capsys, "erase", "0812-3456-7890", "--reason", "Budi Santoso asked by phone")
    assert f"Data pelanggan #{budi.id} dihapus" in out

    after = await everything_stored()
    for trace in ("Budi Santoso", "81234567890", "budi.santoso@contoh.id", "Kenanga", "'1001'",
                  "812 3456 7890"):  # fmt: skip
        assert trace not in after, trace
    erased = await Customer.get(id=budi.id)
    assert erased.erased_at is not None and erased.phone is None and erased.telegram_id is None
    # Sales still add up; consent proof stays.
    order = await Order.get(customer_id=budi.id)
    assert order.total == 70_000 and erased.orders_count == 1 and erased.total_spent == 70_000
    kinds = (
        await ConsentEvent.filter(customer_id=budi.id)
        .order_by("id")
        .values_list("kind", "recorded_by")
    )
    assert list(kinds) == [("marketing", "customer"), ("erasure", "cli")]
    assert not await Reminder.exists()
    waiting = await OutboxMessage.get(customer_id=budi.id, kind="marketing")
    assert waiting.status == "failed"
    assert not await Ticket.filter(customer_id=budi.id, status="open").exists()
    event = await AuditEvent.get(action="customer.erase")
    assert event.customer_id == budi.id and event.actor == "cli"
    assert event.detail["reason"] == "[erased]"
    # Only hashes remain, and they answer.
    assert await is_erased_phone("+62 812-3456-7890") and await is_erased_telegram(1001)
    assert await is_erased_chat("telegram", "1001")
    assert not await is_erased_phone("081299998888") and not await is_erased_telegram(1002)
    assert await ErasedIdentity.all().count() == 3  # phone, telegram id, the chat


async def test_erasing_twice_or_nobody_is_a_clear_answer(budi: Customer):
    await erase_customer(budi, START, reason="asked", agent=None, actor="cli")
    with pytest.raises(InputError, match=f"#{budi.id} was already erased on 2026-11-02"):
        await erase_customer(await resolve(f"#{budi.id}"), START, reason="again", agent=None,
                             actor="cli")  # fmt: skip
    with pytest.raises(NotFound):
        await resolve("Budi Santoso")
    with pytest.raises(InputError, match="Say why"):
        await erase_customer(budi, START, reason="  ", agent=None, actor="cli")


async def test_an_erased_person_who_writes_again_starts_afresh(budi: Customer, chat: Chat):
    await erase_customer(budi, chat.now, reason="asked", agent=None, actor="cli")
    await chat.send("halo")
    assert "Bolehkah kami" in chat.text  # asked for consent again, as a stranger
    fresh = await Customer.get(telegram_id=1001)
    assert fresh.id != budi.id and fresh.name is None and fresh.orders_count == 0
    # They came back by their own choice: an import or campaign may see them again.
    assert not await is_erased_telegram(1001) and not await is_erased_chat("telegram", "1001")
    assert await is_erased_phone("081234567890")  # not given again yet


async def test_erasure_asked_in_chat_needs_an_admin_to_approve(
    budi: Customer, chat: Chat, ani: Chat, boss: Chat
):
    await chat.send("hapus data saya")
    assert "Permintaan hapus data Anda sudah kami terima" in chat.text
    ticket = await Ticket.get(reason="data_erasure")
    assert "DIHAPUS" in (await outbox_to(str(ANI))).body
    ani.now = boss.now = chat.now + timedelta(minutes=5)
    await ani.send(f"/setujui {ticket.id}")
    assert "Hanya admin yang boleh menyetujui penghapusan" in ani.text
    assert (await Customer.get(id=budi.id)).erased_at is None
    await boss.send(f"/approve {ticket.id}")
    assert f"Customer #{budi.id} is erased" in boss.text or f"#{budi.id} sudah dihapus" in boss.text
    assert (await Customer.get(id=budi.id)).erased_at is not None
    assert (await Ticket.get(id=ticket.id)).status == "closed"
    assert "Budi Santoso" not in await everything_stored()


# -- audit of access ---------------------------------------------------------------------


async def test_who_looked_at_an_erased_customer_stays_in_the_audit(
    budi: Customer, ani: Chat, capsys: pytest.CaptureFixture[str]
):
    await ani.send(f"/pelanggan {budi.id}")
    await ani.send(f"/riwayat {budi.id}")
    await customer_data(budi, ani.now)
    await erase_customer(budi, ani.now, reason="asked", agent=None, actor="cli")
    actions = (
        await AuditEvent.filter(customer_id=budi.id).order_by("id").values_list("action", flat=True)
    )
    assert list(actions)[-4:] == [
        "customer.view", "customer.history", "customer.export", "customer.erase"
    ]  # fmt: skip


async def test_an_agent_records_consent_given_on_the_phone_and_reads_the_history(
    budi: Customer, ani: Chat
):
    await ani.send(f"/izin {budi.id}: tidak ditelepon, tidak mau promo")
    assert "tidak setuju promo" in ani.text and "agent:Ani" in ani.text
    event = await ConsentEvent.filter(customer_id=budi.id).order_by("-id").first()
    assert event is not None
    assert (event.kind, event.given, event.wording, event.recorded_by, event.channel) == (
        "marketing", False, "ditelepon, tidak mau promo", "agent:Ani", "telegram"
    )  # fmt: skip
    assert (await Customer.get(id=budi.id)).consent_marketing is False
    await ani.send(f"/izin {budi.id}: ya")
    assert "Tulis apa yang disetujui pelanggan" in ani.text
    await ani.send(f"/izin {budi.id}: mungkin")
    assert "/izin PELANGGAN" in ani.text
    await ani.send(f"/consent {budi.id}")
    assert ani.text.count("•") == 2
    actions = await AuditEvent.filter(customer_id=budi.id).values_list("action", flat=True)
    assert "consent.record" in actions and "customer.consent_view" in actions


async def test_the_audit_lists_who_looked_filtered_by_agent_customer_action_and_date(
    budi: Customer, ani: Chat, capsys: pytest.CaptureFixture[str]
):
    from bot.cli import staff as cli_staff

    await ani.send(f"/pelanggan {budi.id}")
    await customer_data(budi, ani.now)
    argv = ["audit", "--customer", f"#{budi.id}", "--action", "customer.", "--from", "2026-11-02"]
    assert await cli_staff.route(build_parser().parse_args(argv), "id", JAKARTA) == 0
    out = capsys.readouterr().out
    assert "customer.view" in out and "customer.export" in out and "note.add" not in out
    argv = ["audit", "--agent", "Ani", "--action", "customer.export"]
    assert await cli_staff.route(build_parser().parse_args(argv), "id", JAKARTA) == 0
    assert "Tidak ada yang cocok di log audit" in capsys.readouterr().out
    argv = ["audit", "--customer", f"#{budi.id}", "--to", "2026-11-01"]
    assert await cli_staff.route(build_parser().parse_args(argv), "id", JAKARTA) == 0
    assert "Tidak ada yang cocok di log audit" in capsys.readouterr().out


async def test_another_customers_own_words_stay_when_someone_is_erased(
    budi: Customer, engine: Engine
):
    """A common first name must not wipe other people's chats."""
    sari = Chat(engine, sender="2002", telegram_id=2002, display_name="Sari")
    await sari.onboard(name="Sari Dewi")
    await sari.send("kirim ke kantor Budi Santoso ya")
    await erase_customer(budi, sari.now, reason="asked", agent=None, actor="cli")
    sari_id = (await Customer.get(name="Sari Dewi")).id
    bodies = await Message.filter(customer_id=sari_id).values_list("body", flat=True)
    assert "kirim ke kantor Budi Santoso ya" in bodies


async def outbox_to(address: str) -> OutboxMessage:
    """The one message waiting for or sent to ``address`` (addresses are sealed: the store
    cannot compare them)."""
    [found] = [m for m in await OutboxMessage.all() if m.address == address]
    return found
