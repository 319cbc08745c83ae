"""The agents' side: commands in their own chat, authorisation, the audit log."""

from __future__ import annotations

import pytest

from bot.agents.command_table import COMMANDS
from bot.conversation.engine import Engine
from crm_core.models import AuditEvent, Customer, CustomerTag, Note, OutboxMessage
from crm_core.staff.agents import add_agent, remove_agent
from tests.support.chat import START, Chat
from tests.support.people import agent, customer

ANI_TELEGRAM = 9001


@pytest.fixture
async def ani(engine: Engine) -> Chat:
    """Ani, an agent, in her Telegram chat with the bot."""
    await add_agent("Ani", START, telegram_id=ANI_TELEGRAM)
    return Chat(engine, sender=str(ANI_TELEGRAM), display_name="Ani", telegram_id=ANI_TELEGRAM)


@pytest.fixture
async def budi(chat: Chat) -> Customer:
    """A customer who onboarded and ordered, with a phone on record."""
    await chat.onboard(name="Budi Santoso", city="Bandung")
    await chat.to_confirmation("tote bag 2", phone="0812-3456-7890")
    await chat.send("ya")
    await chat.send("lewati")
    return await Customer.get(name="Budi Santoso")


async def test_find_card_and_history(ani: Chat, budi: Customer):
    await ani.send("/cari bandung")
    assert f"#{budi.id} Budi Santoso, Bandung, +6281234567890" in ani.text
    await ani.send("/cari 7890")  # the end of the number
    assert "Budi Santoso" in ani.text
    await ani.send(f"/pelanggan #{budi.id}")
    assert "Pesanan: 1 · Total belanja: Rp70.000" in ani.text and "Izin promo: ya" in ani.text
    await ani.send("/history 0812 3456 7890")
    assert "2× Tote Bag Kanvas" in ani.text and "← ya" in ani.text
    actions = await AuditEvent.filter(agent__name="Ani").values_list("action", flat=True)
    assert list(actions) == [
        "customer.search",
        "customer.search",
        "customer.view",
        "customer.history",
    ]


async def test_notes_tags_blacklist_and_claim(ani: Chat, budi: Customer, chat: Chat):
    await ani.send("/catat Budi Santoso: suka warna hitam, ukuran L")
    await ani.send(f"/tag {budi.id} vip")
    await ani.send(f"/tag {budi.id} Reseller Bandung")
    await ani.send(f"/untag {budi.id}: reseller-bandung")
    await ani.send(f"/klaim {budi.id}")
    await ani.send(f"/pelanggan {budi.id}")
    assert "Ani: suka warna hitam, ukuran L" in ani.text
    assert "Tag: vip" in ani.text and "Ditangani: Ani" in ani.text
    await ani.send("/cari vip")
    assert "Budi Santoso" in ani.text

    await ani.send(f"/blacklist {budi.id}: alamat palsu, tiga kali tidak dibayar")
    assert "masuk blacklist" in ani.text
    await chat.send("tote bag 1")
    assert "tidak dapat menerima pesanan" in chat.text and "palsu" not in chat.text
    await ani.send(f"/unblacklist {budi.id}")
    assert "Hanya admin" in ani.text
    assert (await Customer.get(id=budi.id)).blacklisted
    assert [n.body for n in await Note.all()] == ["suka warna hitam, ukuran L"]
    assert [t.name for t in await CustomerTag.all()] == ["vip"]


async def test_an_admin_may_unblacklist(engine: Engine, budi: Customer):
    await add_agent("Owner", START, telegram_id=1, role="admin")
    owner = Chat(engine, sender="1", telegram_id=1)
    await owner.send(f"/blacklist {budi.id}: salah kirim")
    await owner.send(f"/unblacklist {budi.id}")
    assert "keluar dari blacklist" in owner.text
    assert not (await Customer.get(id=budi.id)).blacklisted


async def test_bad_calls_get_clear_answers_and_change_nothing(ani: Chat, budi: Customer, engine):
    other = Chat(engine, sender="2002", telegram_id=2002, display_name="Budi")
    await other.onboard(name="Budi Hartono", city="Bogor")
    await ani.send("/pelanggan budi")
    assert "Ada 2 pelanggan yang cocok" in ani.text and "Budi Hartono" in ani.text
    await ani.send("/pelanggan #999")
    assert "Tidak ada pelanggan" in ani.text
    await ani.send("/catat")
    assert ani.text.startswith("Cara pakai: /catat")
    await ani.send(f"/catat {budi.id}: " + "x" * 5000)
    assert "paling banyak 2000" in ani.text
    await ani.send("/blacklist 1")
    assert ani.text.startswith("Cara pakai: /blacklist")
    await ani.send("/terbang")
    assert "tidak dikenal" in ani.text
    assert await Note.all().count() == 0
    assert not (await Customer.get(id=budi.id)).blacklisted


async def test_help_lists_every_command(ani: Chat):
    await ani.send("/bantuan")
    for name in {c.name for c in COMMANDS.values() if not c.admin_only}:
        assert f"/{name}" in ani.text


async def test_an_agent_writes_in_english_when_set(engine: Engine, budi: Customer):
    await add_agent("Sam", START, phone="+6281377778888", language="en")
    sam = Chat(engine, channel="whatsapp", sender="+6281377778888", verified_phone="+6281377778888")
    await sam.send(f"/customer {budi.id}")
    assert "Orders: 1 · Total spent: Rp70.000" in sam.text


@pytest.mark.parametrize("word", sorted(COMMANDS))
async def test_a_customer_typing_an_agent_command_learns_nothing(
    chat: Chat, budi: Customer, word: str
):
    await Note.create(customer=budi, author="Ani", body="rahasia toko", created_at=START)
    stranger = Chat(chat.engine, sender="3003", telegram_id=3003, display_name="Eve")
    await stranger.onboard(name="Eve", city="Jakarta")
    await stranger.send(f"/{word} {budi.id}: catatan")
    assert "Budi" not in stranger.text and "3456" not in stranger.text
    assert "rahasia" not in stranger.text and "Rp70.000" not in stranger.text
    assert "belum mengerti" in stranger.text
    assert await AuditEvent.all().count() == 0
    assert await Note.all().count() == 1


async def test_a_removed_agent_loses_access_at_once(ani: Chat, budi: Customer):
    await ani.send(f"/pelanggan {budi.id}")
    assert "Budi Santoso" in ani.text
    await remove_agent("Ani", START)
    await ani.send(f"/pelanggan {budi.id}")
    assert "Budi Santoso" not in ani.text


async def test_a_busy_agent_may_leave_out_the_colon(ani: Chat, budi: Customer):
    await ani.send("/catat budi suka warna gelap")
    assert "Budi Santoso" in ani.text
    assert (await Note.get(customer_id=budi.id)).body == "suka warna gelap"
    await ani.send("/tag budi santoso pelanggan setia")
    tags = await CustomerTag.filter(customer_id=budi.id).values_list("name", flat=True)
    assert list(tags) == ["pelanggan-setia"]
    await ani.send("/ingatkan 0812 3456 7890 besok 10:00 tanya ukuran")
    assert "Budi Santoso" in ani.text and "besok" not in ani.text.casefold().split("tanya")[0]
    await ani.send("/catat budi: jam 10:00 ya")  # the colon stays the exact form
    assert [n.body for n in await Note.filter(customer_id=budi.id)][-1] == "jam 10:00 ya"


async def test_words_that_name_several_customers_ask_which(ani: Chat, budi: Customer):
    other = await Customer.create(
        name="Budi Hartono", city="Jakarta", created_at=START, updated_at=START
    )
    await ani.send("/catat budi suka hitam")
    assert "2 pelanggan yang cocok" in ani.text
    assert ani.choices == (f"/catat #{budi.id}: suka hitam", f"/catat #{other.id}: suka hitam")
    assert await Note.all().count() == 0
    await ani.send(ani.choices[1])
    assert (await Note.get()).customer_id == other.id  # type: ignore[attr-defined]


async def test_words_that_name_nobody_say_so(ani: Chat, budi: Customer):
    await ani.send("/catat siapa ya ini")
    assert "siapa" in ani.text and await Note.all().count() == 0
    await ani.send("/catat budi")
    assert ani.text.startswith("Cara pakai: /catat")


async def test_a_second_agent_with_a_taken_name_or_a_customers_number_is_refused(
    ani: Chat, budi: Customer
):
    from crm_core.errors import InputError

    with pytest.raises(InputError, match="already an agent called ani"):
        await add_agent("ani", START, telegram_id=9100)
    with pytest.raises(InputError, match=f"customer #{budi.id}'s number"):
        await add_agent("Dewi", START, phone="0812-3456-7890")
    await add_agent("Dewi", START, phone="0813-1111-2222")  # a number of her own is fine


async def test_history_pages(ani: Chat, budi: Customer, chat: Chat):
    for n in range(12):
        await chat.send(f"pertanyaan ke-{n}")
    ani.now = chat.now
    await ani.send("/riwayat budi")
    first = ani.text
    assert "(halaman 1/" in first and f"Sebelumnya: /riwayat {budi.id} 2" in first
    await ani.send("/riwayat budi 2")
    assert "(halaman 2/" in ani.text and ani.text != first
    await ani.send("/riwayat budi 99")
    assert "Sebelumnya" not in ani.text and "Pesanan:" not in ani.text
    await ani.send("/riwayat 0812 3456 7890")  # a phone's last group is not a page
    assert ani.text == first


async def test_an_agent_may_leave_out_the_slash(ani: Chat, budi: Customer, chat: Chat):
    await ani.send("cari budi")
    assert f"#{budi.id} Budi Santoso" in ani.text
    await ani.send("catat budi suka warna gelap")
    assert (await Note.get(customer_id=budi.id)).body == "suka warna gelap"
    # Still the agent's chat, not a new customer called Ani.
    assert not await Customer.filter(telegram_id=ANI_TELEGRAM).exists()
    # A customer writing a word that names a command is a customer, as before.
    await chat.send("bantuan")
    assert "/catat" not in chat.text and "Budi" not in chat.text


async def test_refusals_reach_each_agent_in_their_own_language(
    ani: Chat, budi: Customer, engine: Engine
):
    await ani.send("/status 1 terbang")
    assert "Tidak bisa." in ani.text
    assert "must" not in ani.text and "status" in ani.text.casefold()
    await ani.send("/order budi kaos polos 2")
    assert "sebutkan" in ani.text and "say" not in ani.text.split()
    await ani.send("/ingatkan budi kapan-kapan telepon")
    assert "bukan waktu" in ani.text and "is not a time" not in ani.text
    await add_agent("Sam", START, phone="+6281377778888", language="en")
    sam = Chat(engine, channel="whatsapp", sender="+6281377778888", verified_phone="+6281377778888")
    await sam.send("/remind budi someday call")
    assert "is not a time" in sam.text and "bukan" not in sam.text


async def test_the_card_names_gender_and_source_in_words_and_typed_cities_are_found(
    ani: Chat, chat: Chat
):
    """The card showed a customer's gender as "f" (when it showed it at all) and the
    source as whatever they typed; a search for "sby" missed customers of Surabaya."""
    for said in ("halo", "ya", "Siti", "Sby", "dr ig kak"):
        await chat.send(said)
    await chat.to_confirmation("tote bag 1", "Jl. Darmo No. 12, Wonokromo")
    await chat.send("ya")
    await chat.send("Perempuan")  # the optional questions, after the first order
    await chat.send("27")
    siti = await Customer.get(name="Siti")
    await ani.send("/cari sby")
    assert f"#{siti.id} Siti, Surabaya" in ani.text
    await ani.send(f"/pelanggan {siti.id}")
    assert "Alamat: Jl. Darmo No. 12, Wonokromo, Surabaya" in ani.text
    assert 'Sumber: Instagram ("dr ig kak")' in ani.text
    assert "Jenis kelamin: Perempuan · Umur: 25-34" in ani.text


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


@pytest.mark.parametrize("text", ["/kirim\n1: halo", "/ingatkan 1: besok 10:00 telepon"])
async def test_line_breaks_and_clock_times_in_the_text(engine: Engine, text: str):
    await customer(engine, "1001", "Budi")
    ani = await agent(engine)
    await ani.send(text)
    assert "tidak dikenal" not in ani.text and not ani.text.startswith("Cara pakai")
