"""From the first message to the delivered parcel, with the team in the loop: a basket
with shipping, payment instructions, a receipt photo, /lunas, /resi and the customer's
"sampai mana"; the shipping the team works out (/ongkir); and a complaint that becomes
a conversation with a person (relayed both ways, ended by /selesai or by going quiet).
What the customer and the agent read, and what the store holds, are what is checked,
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from bot.conversation.engine import Engine
from crm_core.models import (
    Agent,
    Conversation,
    Customer,
    InvoiceSeries,
    Message,
    OptionStock,
    Order,
    OutboxMessage,
    Product,
    Ticket,
)
from crm_core.sales.catalog import CatalogCache, CatalogItem, OrderLine
from crm_core.sales.orders import next_number
from crm_core.sales.stock import reserve
from crm_core.shop import OrderRules, ShippingRule
from crm_core.staff.agents import add_agent
from message_templates import Texts
from tests.support.chat import START, Chat
from tests.support.shop_catalog import add_catalog
from tests.support.shop_catalog import shop_engine as new_shop_engine
from tests.understanding.shop import sample_shop

ANI, DEWI = 9001, 9002


@pytest.fixture
async def shop_engine(store: str) -> Engine:
    await add_catalog()
    return new_shop_engine()


@pytest.fixture
async def siti(shop_engine: Engine) -> Chat:
    await add_agent("Ani", START, telegram_id=ANI)
    chat = Chat(shop_engine, sender="2002", display_name="Siti", telegram_id=2002)
    await chat.onboard(name="Siti Rahma", city="Surabaya")
    return chat


def agent_chat(engine: Engine, telegram_id: int, customer: Chat) -> Chat:
    chat = Chat(engine, sender=str(telegram_id), telegram_id=telegram_id)
    chat.now = customer.now
    return chat


async def told(address: str, *, after: int = 0) -> list[str]:
    """What the outbox holds for one chat (an agent's, a customer's), oldest first."""
    rows = await OutboxMessage.filter(id__gt=after).order_by("id")
    return [row.body for row in rows if row.address == address]


async def last_outbox_id() -> int:
    row = await OutboxMessage.all().order_by("-id").first()
    return row.id if row else 0


async def sent_as(row_body_part: str, provider_id: str) -> None:
    """The dispatcher sent the outbox message holding ``row_body_part``, and the channel
    named it ``provider_id`` (what a Telegram reply to it quotes)."""
    for row in await OutboxMessage.filter(kind="staff").order_by("-id"):
        if row_body_part in row.body:
            await Message.filter(id=row.message_id).update(status="sent", external_id=provider_id)
            return
    raise AssertionError(f"nothing queued holds {row_body_part!r}")


async def test_three_things_in_one_message_to_a_tracking_number(shop_engine: Engine, siti: Chat):
    await siti.to_confirmation(
        "kak mau pesen kaos polos item L 2, hijab voal mocca 1 sama topi merah 1 ya",
        address="Jl. Darmo No. 12, Wonokromo",
        phone="0812-3456-7890",
    )
    # Goods, shipping to Surabaya from the shop's file, and the total, before the yes.
    assert "2× Kaos Polos, Hitam, ukuran L" in siti.text
    assert "1× Hijab Voal, Mocca" in siti.text and "1× Topi Baseball, Merah" in siti.text
    assert "Rp245.000" in siti.text and "Rp20.000" in siti.text and "Rp265.000" in siti.text
    await siti.send("ya kak")
    order = await Order.get()
    year = START.year
    assert order.number == f"INV-{year}-0001" and order.shipping_fee == 20_000
    # The exact amount, the order's number and the shop's own payment answer.
    assert f"Pesanan INV-{year}-0001 sudah kami terima" in siti.text
    assert "Silakan bayar *Rp265.000* untuk pesanan INV-" in siti.text
    assert "BCA 123 456 7890" in siti.text
    # The team hears of it, with the order and the command to act.
    [notice] = await told(str(ANI))
    assert "Pesanan baru #1" in notice and f"INV-{year}-0001" in notice
    assert "Siti Rahma, Surabaya\n• 2× Kaos Polos Hitam L: Rp150.000\n" in notice
    assert "Total Rp265.000" in notice and "/lunas 1" in notice

    # The receipt photo is kept with the order; the team is asked to check it.
    mark = await last_outbox_id()
    await siti.send("", kind="photo", media_url="telegram-file:AgADreceipt")
    assert "Bukti transfer untuk pesanan INV-" in siti.text
    order = await Order.get()
    receipt = await Message.get(id=order.payment_proof_id)
    assert receipt.kind == "photo" and order.payment_claimed_at == siti.now
    [check] = await told(str(ANI), after=mark)
    assert "foto bukti transfer" in check and "/lunas 1" in check
    await siti.send("udah tf ya kak")
    assert await told(str(ANI), after=mark) == [check]  # told once for this order

    ani = agent_chat(shop_engine, ANI, siti)
    mark = await last_outbox_id()
    await ani.send(f"/lunas INV-{year}-0001")
    assert "sekarang Dibayar" in ani.text
    assert "Pembayaran pesanan INV-" in (await told("2002", after=mark))[0]
    await ani.send("/resi 1 J&T JT0012345678")
    assert "sekarang Dikirim (J&T JT0012345678)" in ani.text
    shipped = (await told("2002", after=mark))[-1]
    assert "dikirim lewat *J&T*" in shipped and "Nomor resi: *JT0012345678*" in shipped
    order = await Order.get()
    assert (order.status, order.courier, order.tracking) == ("dikirim", "J&T", "JT0012345678")

    siti.now = ani.now
    await siti.send("kak paket saya sampai mana ya")
    assert "dalam perjalanan lewat *J&T*, nomor resi *JT0012345678*" in siti.text


async def test_shipping_the_team_works_out_reaches_the_customer_with_how_to_pay(
    store: str,
):
    await add_catalog()
    shop = sample_shop()
    confirm = type(shop)(
        shop.path, shop.facts, shop.answers, shop.phrases, ShippingRule(), OrderRules("TK/")
    )
    engine = Engine(Texts(), catalog=CatalogCache(check_every=0), shop=confirm)
    await add_agent("Ani", START, telegram_id=ANI)
    siti = Chat(engine, sender="2002", display_name="Siti", telegram_id=2002)
    await siti.onboard(name="Siti Rahma", city="Makassar")
    await siti.to_confirmation("topi merah 2", phone="0812-3456-7890")
    assert "ongkir" in siti.text.casefold()
    await siti.send("ya")
    assert "Admin kami akan menghitung ongkir ke Makassar" in siti.text
    assert (await Order.get()).number == "TK/0001"
    notice = (await told(str(ANI)))[0]
    assert "Ongkir belum dihitung" in notice and "/ongkir 1 BIAYA" in notice
    ani = agent_chat(engine, ANI, siti)
    mark = await last_outbox_id()
    await ani.send("/ongkir 1 35rb")
    assert "Ongkir pesanan #1 · TK/0001: Rp35.000. Total Rp135.000." in ani.text
    [to_pay] = await told("2002", after=mark)
    assert "Silakan bayar *Rp135.000* untuk pesanan TK/0001" in to_pay and "BCA" in to_pay
    await ani.send("/ongkir 1 lima belas")
    assert "not an amount" in ani.text or "bukan" in ani.text
    await ani.send("/lunas 1")
    await ani.send("/ongkir 1 40000")
    assert "ongkir diatur sebelum pesanan dibayar" in ani.text
    assert (await Order.get()).shipping_fee == 35_000


async def test_paying_a_cancelled_order_and_a_late_receipt_get_clear_answers(
    shop_engine: Engine, siti: Chat
):
    await siti.to_confirmation("topi merah 1", phone="0812-3456-7890")
    await siti.send("ya")
    ani = agent_chat(shop_engine, ANI, siti)
    await ani.send("/status 1 batal")
    await ani.send("/lunas 1")
    assert "sudah batal" in ani.text and (await Order.get()).status == "batal"
    await ani.send("/lunas 77")
    assert "Tidak ada pesanan 77" in ani.text
    await siti.send("ini kak buktinya", kind="photo")
    assert "Bukti transfer" not in siti.text  # no order waits for payment


async def test_a_complaint_becomes_a_conversation_with_a_person(shop_engine: Engine, siti: Chat):
    await add_agent("Dewi", START, telegram_id=DEWI)
    await siti.send("kak barang saya rusak, jahitannya lepas 😭")
    assert "teruskan ke tim kami" in siti.text
    ticket = await Ticket.get()
    assert all(f"Tiket #{ticket.id}" in t for t in [*await told(str(ANI)), *await told(str(DEWI))])

    # What she writes next goes to the team, not to the bot.
    await siti.send("ini fotonya", kind="photo")
    await siti.send("gimana kak solusinya?")
    assert siti.replies == []
    for agent in (ANI, DEWI):
        relayed = await told(str(agent))
        assert relayed[1].endswith("[foto: ini fotonya]")
        assert relayed[2].endswith("gimana kak solusinya?")
        assert relayed[2].startswith(f"💬 Tiket #{ticket.id} · #1 Siti Rahma")

    # Dewi answers by replying to the relayed message; she now handles the ticket.
    await sent_as("gimana kak solusinya", f"{DEWI}:501")
    dewi = agent_chat(shop_engine, DEWI, siti)
    mark = await last_outbox_id()
    await dewi.send("Maaf ya kak, kami kirim gantinya besok.", reply_to=f"{DEWI}:501")
    assert "masuk antrean kirim" in dewi.text
    assert await told("2002", after=mark) == ["Maaf ya kak, kami kirim gantinya besok."]
    assert "ditangani Dewi" in (await told(str(ANI), after=mark))[0]
    assert (await Ticket.get()).handler_id == (await Agent.get(name="Dewi")).id

    # Her answer goes to Dewi alone now.
    siti.now = dewi.now
    mark = await last_outbox_id()
    await siti.send("oke kak makasih")
    assert siti.replies == [] and await told(str(ANI), after=mark) == []
    assert (await told(str(DEWI), after=mark))[0].endswith("oke kak makasih")

    # Dewi ends it; the customer is told and the bot serves her again.
    dewi.now = siti.now
    await dewi.send("/selesai", reply_to=f"{DEWI}:501")
    assert "ditutup" in dewi.text and "kembali dilayani bot" in dewi.text
    assert "bot kami melayani lagi" in (await told("2002", after=mark))[-1]
    siti.now = dewi.now
    await siti.send("menu")
    assert "Mau pesan" in siti.text or "Pesan" in siti.text
    assert (
        await Conversation.get(address_index__isnull=False, customer__name="Siti Rahma")
    ).state == "idle"

    # A reply to the relay after the end is refused with the way to answer anyway.
    dewi.now = siti.now
    mark = await last_outbox_id()
    await dewi.send("satu lagi kak", reply_to=f"{DEWI}:501")
    assert "sudah selesai" in dewi.text and "/balas 1: pesan" in dewi.text
    assert await told("2002", after=mark) == []


async def test_an_order_in_progress_waits_for_the_hand_off_and_carries_on(
    shop_engine: Engine, siti: Chat
):
    await siti.send("kaos polos hitam")
    assert "pilih ukurannya" in siti.text
    await siti.send("minta admin dong")
    assert "kami simpan" in siti.text
    await siti.send("L 2")  # a person has the chat: relayed, not read as the size
    assert siti.replies == []
    ani = agent_chat(shop_engine, ANI, siti)
    await ani.send("/selesai 1")
    siti.now = ani.now
    await siti.send("L 2")
    assert "Ke alamat mana" in siti.text


async def test_a_plain_order_during_a_hand_off_is_taken_by_the_bot(shop_engine: Engine, siti: Chat):
    await siti.send("admin")
    await siti.send("mau pesan topi merah 1 kak")
    assert "Ke alamat mana" in siti.text
    assert (await Ticket.get()).status == "open"  # the team still has the ticket


async def test_a_hand_off_quiet_for_the_timeout_goes_back_to_the_bot(
    shop_engine: Engine, siti: Chat
):
    from bot.shop_jobs import end_quiet_handoffs

    await siti.send("saya mau komplain")
    # Nobody answered: the bot takes the chat back, and the ticket stays for the team.
    siti.now += timedelta(hours=25)
    await siti.send("halo kak")
    assert "ada yang bisa kami bantu" in siti.text
    assert await end_quiet_handoffs(shop_engine.shop, siti.now) == 0
    assert (await Ticket.get()).status == "open"
    # Answered, then quiet for a day: closed, and the bot is back.
    ani = agent_chat(shop_engine, ANI, siti)
    await ani.send("/balas 1: Halo kak, ada yang bisa dibantu?")
    await siti.send("admin")
    assert await end_quiet_handoffs(shop_engine.shop, ani.now + timedelta(hours=23)) == 0
    assert await end_quiet_handoffs(shop_engine.shop, ani.now + timedelta(hours=25)) == 1
    ticket = await Ticket.get()
    assert (ticket.status, ticket.closed_by) == ("closed", "timeout")
    siti.now += timedelta(hours=25)
    await siti.send("halo kak")
    assert "ada yang bisa kami bantu" in siti.text


async def test_thirty_messages_in_a_minute_are_all_relayed_in_order(
    shop_engine: Engine, siti: Chat
):
    await siti.send("admin")
    mark = await last_outbox_id()
    for n in range(30):
        await siti.send(f"pesan ke-{n + 1}")
    relayed = await told(str(ANI), after=mark)
    assert [r.rsplit("\n", 1)[-1] for r in relayed] == [f"pesan ke-{n + 1}" for n in range(30)]


async def test_two_agents_answering_at_once_leave_one_handler(shop_engine: Engine, siti: Chat):
    await add_agent("Dewi", START, telegram_id=DEWI)
    await siti.send("admin")
    customer = await Customer.get(name="Siti Rahma")
    ani, dewi = agent_chat(shop_engine, ANI, siti), agent_chat(shop_engine, DEWI, siti)
    await ani.send(f"/balas {customer.id}: Halo kak, dengan Ani.")
    await dewi.send(f"/balas {customer.id}: Halo kak, dengan Dewi.")
    ticket = await Ticket.get()
    assert ticket.handler_id == (await Agent.get(name="Ani")).id
    taken = [t for t in await told(str(DEWI)) if "ditangani Ani" in t]
    assert len(taken) == 1


async def test_invoice_numbers_follow_on_in_each_series(store: str):
    assert [await next_number("INV-2026-") for _ in range(3)] == [
        "INV-2026-0001",
        "INV-2026-0002",
        "INV-2026-0003",
    ]
    assert await next_number("INV-2027-") == "INV-2027-0001"
    assert await next_number("INV-2026-") == "INV-2026-0004"
    issued = {s.series: s.issued for s in await InvoiceSeries.all()}
    assert issued == {"INV-2026-": 4, "INV-2027-": 1}


async def test_muted_agents_get_no_notices_but_tasks_list_the_work(shop_engine: Engine, siti: Chat):
    ani = agent_chat(shop_engine, ANI, siti)
    await ani.send("/notif off")
    assert "dimatikan" in ani.text and "tetap sampai" in ani.text
    siti.now = ani.now
    await siti.to_confirmation("topi merah 1", phone="0812-3456-7890")
    await siti.send("ya")
    await siti.send("udah transfer kak")
    assert await told(str(ANI)) == []
    ani.now = siti.now
    await ani.send("/tugas")
    assert "Cek pembayaran (1)" in ani.text and "/lunas 1 · INV-" in ani.text
    await ani.send("/lunas 1")
    await ani.send("/tugas")
    assert "Siap dikirim" in ani.text
    await ani.send("/notif on")
    assert "dinyalakan" in ani.text


async def test_an_unpaid_order_is_reminded_once_then_cancelled_and_its_stock_released(
    shop_engine: Engine, siti: Chat
):
    from bot.shop_jobs import chase_unpaid_orders

    await Product.filter(name="Topi Baseball").update(stock=3)
    await siti.to_confirmation("topi merah 2", phone="0812-3456-7890")
    await siti.send("ya")
    assert (await Product.get(name="Topi Baseball")).stock == 1
    placed, shop, texts = siti.now, shop_engine.shop, shop_engine.texts
    mark = await last_outbox_id()
    assert await chase_unpaid_orders(texts, shop, placed + timedelta(hours=23)) == (0, 0)
    assert await chase_unpaid_orders(texts, shop, placed + timedelta(hours=24)) == (1, 0)
    assert await chase_unpaid_orders(texts, shop, placed + timedelta(hours=30)) == (0, 0)
    [reminder] = await told("2002", after=mark)
    assert "masih menunggu pembayaran *Rp120.000*" in reminder and "BCA" in reminder
    assert "dibatalkan otomatis" in reminder
    assert await chase_unpaid_orders(texts, shop, placed + timedelta(hours=72)) == (0, 1)
    order = await Order.get()
    assert order.status == "batal" and (await Product.get(name="Topi Baseball")).stock == 3
    assert "belum dibayar sampai batas waktunya" in (await told("2002", after=mark))[-1]
    assert (await Customer.get(name="Siti Rahma")).orders_count == 0


async def test_an_order_whose_payment_was_claimed_is_never_cancelled_by_the_clock(
    shop_engine: Engine, siti: Chat
):
    from bot.shop_jobs import chase_unpaid_orders

    await siti.to_confirmation("topi merah 1", phone="0812-3456-7890")
    await siti.send("ya")
    await siti.send("sudah tf 70rb ya kak")
    later = siti.now + timedelta(days=10)
    assert await chase_unpaid_orders(shop_engine.texts, shop_engine.shop, later) == (0, 0)
    assert (await Order.get()).status == "baru"


async def test_an_agent_adds_a_phone_customer_who_later_finds_their_order_on_whatsapp(
    shop_engine: Engine, siti: Chat
):
    ani = agent_chat(shop_engine, ANI, siti)
    await ani.send("/baru Rina Wati, 0813-1111-2222, Bandung, Jl. Mawar No. 5, Coblong")
    rina = await Customer.get(name="Rina Wati")
    assert f"Pelanggan baru #{rina.id} Rina Wati, +6281311112222, Bandung" in ani.text
    assert rina.address == "Jl. Mawar No. 5, Coblong" and rina.phone_verified
    await ani.send(f"/order {rina.id}: hijab voal mocca 2, topi hitam 1")
    assert "Pesanan #1 · INV-" in ani.text
    order = await Order.get(customer_id=rina.id)
    assert order.shipping_fee == 10_000  # Bandung, from the shop's file
    await ani.send("/baru Rina Lagi, 0813-1111-2222, Bandung, Jl. Mawar No. 5")
    assert f"sudah tercatat sebagai #{rina.id}" in ani.text and await Customer.all().count() == 2
    await ani.send("/baru Tanpa Alamat, 0813-9999-0000")
    assert "Cara pakai: /baru" in ani.text

    wa = Chat(
        shop_engine, channel="whatsapp", sender="+6281311112222", verified_phone="+6281311112222"
    )
    wa.now = ani.now
    await wa.send("halo kak")
    await wa.send("ya")  # the consent question, once
    await wa.send("pesanan saya")
    assert "INV-" in wa.text and "Rp150.000" in wa.text
    assert (await Conversation.filter(channel="whatsapp").first()).customer_id == rina.id  # type: ignore[union-attr]


async def test_two_records_of_one_person_are_merged_by_an_admin(shop_engine: Engine, siti: Chat):
    ani = agent_chat(shop_engine, ANI, siti)
    await ani.send("/baru Siti R, 0812-7777-6666, Surabaya, Jl. Darmo No. 12")
    other = await Customer.get(name="Siti R")
    await ani.send(f"/order {other.id}: topi merah 1")
    siti_id = (await Customer.get(name="Siti Rahma")).id
    await ani.send(f"/gabung {siti_id} {other.id}")
    assert "hanya untuk admin" in ani.text or "admin" in ani.text
    assert (await Customer.get(id=other.id)).merged_into_id is None
    await add_agent("Bos", START, telegram_id=9100, role="admin")
    bos = agent_chat(shop_engine, 9100, siti)
    await bos.send(f"/gabung {other.id} {siti_id}")
    assert f"#{other.id} digabung ke #{siti_id} Siti Rahma" in bos.text and "1 pesanan" in bos.text
    kept = await Customer.get(id=siti_id)
    assert (kept.orders_count, kept.phone) == (1, "+6281277776666")
    assert (await Order.get()).customer_id == siti_id
    await bos.send(f"/gabung {siti_id} {siti_id}")
    assert "data yang sama" in bos.text


async def test_a_reminder_due_at_night_waits_for_the_morning(shop_engine: Engine, siti: Chat):
    from datetime import UTC, datetime

    from bot.shop_jobs import chase_unpaid_orders
    from crm_core.outreach.contact_policy import Rules

    await siti.to_confirmation("topi merah 1", phone="0812-3456-7890")
    await siti.send("ya")
    night = datetime(START.year, START.month, START.day + 2, 15, 30, tzinfo=UTC)  # 22:30 WIB
    mark = await last_outbox_id()
    assert await chase_unpaid_orders(shop_engine.texts, shop_engine.shop, night, Rules()) == (1, 0)
    [row] = await OutboxMessage.filter(id__gt=mark)
    assert row.next_attempt_at == datetime(START.year, START.month, START.day + 3, 1, 0, tzinfo=UTC)


async def test_a_counted_colour_is_reserved_shown_sold_out_and_released(store: str, tmp_path: Any):
    from crm_core.models import OptionStock
    from crm_core.sales.catalog_import import import_products

    sheet = tmp_path / "katalog.csv"
    sheet.write_text(
        "nama,harga,warna,ukuran\n"
        'Kaos Polos,75000,"Hitam (item)=2|Putih=0|Navy",S|M|L=5\n'
        "Topi,50000,Merah=x,,\n",
        encoding="utf-8",
    )
    report = await import_products(sheet, START)
    assert report.created == ["Kaos Polos"]
    assert "Merah=x must be a whole number" in str(report.errors[0].reason)
    counted = {o.option: o.stock for o in await OptionStock.all()}
    assert counted == {"Hitam": 2, "Putih": 0, "L": 5}

    engine = Engine(Texts(), catalog=CatalogCache(check_every=0), shop=sample_shop())
    siti = Chat(engine, sender="2002", display_name="Siti", telegram_id=2002)
    await siti.onboard(name="Siti Rahma", city="Bandung")
    await siti.send("kaos polos putih M 1")
    assert "Putih sedang habis" in siti.text  # counted down to nothing: sold out
    await siti.send("menu")
    await siti.to_confirmation("kaos item L 2", phone="0812-3456-7890")
    await siti.send("ya")
    counted = {o.option: o.stock for o in await OptionStock.all()}
    assert counted == {"Hitam": 0, "Putih": 0, "L": 3}
    await siti.send("menu")
    await siti.send("kaos polos hitam M 1")
    assert "Hitam sedang habis" in siti.text
    await siti.send("menu")
    await siti.send("batalin pesanan INV-2026-0001")
    await siti.send("iya")
    counted = {o.option: o.stock for o in await OptionStock.all()}
    assert counted == {"Hitam": 2, "Putih": 0, "L": 5}


async def test_two_customers_racing_for_the_last_of_a_colour_get_one_order(
    shop_engine: Engine, siti: Chat
):
    topi = await Product.get(name="Topi Baseball")
    await OptionStock.create(product=topi, option="Merah", stock=1)
    rina = Chat(shop_engine, sender="3003", telegram_id=3003, display_name="Rina")
    await rina.onboard(name="Rina", city="Bandung")
    for chat in (siti, rina):
        await chat.to_confirmation("topi merah 1", phone="0812-3456-7890")
    rina.now = siti.now
    await asyncio.gather(siti.send("ya"), rina.send("ya"))
    assert await Order.all().count() == 1
    assert (await OptionStock.get()).stock == 0
    told = siti.text + rina.text
    assert (
        told.count("sudah kami terima") == 1
        and told.count("Topi Baseball Merah baru saja habis") == 1
    )


async def test_a_colour_short_leaves_its_counted_product_as_it_was(shop_engine: Engine, siti: Chat):
    await Product.filter(name="Topi Baseball").update(stock=5)
    topi = await Product.get(name="Topi Baseball")
    await OptionStock.create(product=topi, option="Merah", stock=1)
    await siti.to_confirmation("topi merah 2", phone="0812-3456-7890")
    await siti.send("ya")
    assert "Topi Baseball Merah baru saja habis" in siti.text
    assert "sudah kami terima" not in siti.text and await Order.all().count() == 0
    assert (await Product.get(name="Topi Baseball")).stock == 5
    assert (await OptionStock.get()).stock == 1


async def test_two_lines_of_one_product_take_from_its_count_together(
    shop_engine: Engine, siti: Chat
):
    await Product.filter(name="Topi Baseball").update(stock=3)
    await siti.to_confirmation("topi merah 2 sama topi hitam 2", phone="0812-3456-7890")
    await siti.send("ya")
    assert "Topi Baseball baru saja habis" in siti.text and await Order.all().count() == 0
    assert (await Product.get(name="Topi Baseball")).stock == 3

    # Enough for both: both taken, and a colour counted only on the Kaos: its product moves
    # with its count, so every instance's catalog reads it again.
    await Product.filter(name="Topi Baseball").update(stock=4)
    kaos = await Product.get(name="Kaos Polos")
    await OptionStock.create(product=kaos, option="Putih", stock=3)
    await siti.send("menu")
    siti.now += timedelta(minutes=5)
    await siti.send("topi merah 2, topi hitam 2, kaos polos putih M 1, kaos polos putih L 1")
    await siti.send("ya")
    assert "sudah kami terima" in siti.text and await Order.all().count() == 1
    assert (await Product.get(name="Topi Baseball")).stock == 0
    kaos = await Product.get(name="Kaos Polos")
    assert (kaos.stock, kaos.updated_at) == (None, siti.now)
    assert (await OptionStock.get(option="Putih")).stock == 1


async def test_an_order_that_finds_the_last_one_gone_gives_back_what_it_took(store: str):
    """Two orders at once: the second reads enough of both products, takes the Kaos and,
    on PostgreSQL, waits for the first's Topi, then finds none left; on SQLite it waits
    for the first's transaction and reads none left. Either way nothing of it stays."""
    await add_catalog()
    await Product.filter(name="Kaos Polos").update(stock=5)
    await Product.filter(name="Topi Baseball").update(stock=1)

    async def line(name: str, colour: str, quantity: int) -> OrderLine:
        p = await Product.get(name=name)
        item = CatalogItem(p.id, p.name, p.price, tuple(p.colours), tuple(p.sizes))
        return OrderLine(item, colour, "L" if p.sizes else None, quantity)

    kaos, topi = await line("Kaos Polos", "Hitam", 2), await line("Topi Baseball", "Merah", 1)
    first_took = asyncio.Event()

    async def first() -> list[str]:
        async with in_transaction():
            short = await reserve([topi], START)
            first_took.set()
            await asyncio.sleep(0.2)  # the second reads meanwhile
            return short

    async def second() -> list[str]:
        await first_took.wait()
        async with in_transaction():
            return await reserve([kaos, topi], START)

    assert await asyncio.gather(first(), second()) == [[], ["Topi Baseball"]]
    assert (await Product.get(name="Kaos Polos")).stock == 5
    assert (await Product.get(name="Topi Baseball")).stock == 0


# What a review of the first version found, each kept from coming back.


async def test_a_reply_goes_to_the_ticket_the_bot_sent_not_to_words_a_customer_typed(
    shop_engine: Engine, siti: Chat
):
    budi = Chat(shop_engine, sender="2003", display_name="Budi", telegram_id=2003)
    await budi.onboard(name="Budi", city="Bandung")
    await siti.send("admin")  # ticket #1, Siti's
    ani = agent_chat(shop_engine, ANI, siti)
    budi.now = siti.now
    await budi.send("Tiket #1 hehe")
    await ani.send("/riwayat budi")
    await sent_as_message(ani.replies[0].message_id, f"{ANI}:900")  # the bot's answer to Ani
    mark = await last_outbox_id()
    await ani.send("Halo kak", reply_to=f"{ANI}:900")
    assert "bukan pesan pelanggan yang diteruskan" in ani.text
    assert await OutboxMessage.filter(id__gt=mark).count() == 0


async def sent_as_message(message_id: int | None, provider_id: str) -> None:
    await Message.filter(id=message_id).update(status="sent", external_id=provider_id)


async def test_a_muted_agent_still_hears_a_customer_waiting_for_a_person(
    shop_engine: Engine, siti: Chat
):
    ani = agent_chat(shop_engine, ANI, siti)
    await ani.send("/klaim siti")
    await ani.send("/notif off")
    siti.now = ani.now
    await siti.send("kak saya mau komplain")
    await siti.send("barangnya rusak")
    relayed = await told(str(ANI))
    assert "Tiket #1" in relayed[0] and relayed[-1].endswith("barangnya rusak")


async def test_with_no_agent_at_all_the_bot_keeps_the_chat(store: str):
    await add_catalog()
    siti = Chat(new_shop_engine(), sender="2002", display_name="Siti", telegram_id=2002)
    await siti.onboard(name="Siti Rahma", city="Surabaya")
    await siti.send("admin")
    assert "teruskan" in siti.text and await Ticket.all().count() == 1
    await siti.send("halo")
    assert siti.replies, "a customer is never left without an answer"


async def test_after_a_hand_off_the_address_is_asked_again_not_taken_from_small_talk(
    shop_engine: Engine, siti: Chat
):
    await siti.send("topi merah 1")
    assert "Ke alamat mana" in siti.text
    await siti.send("minta admin")
    ani = agent_chat(shop_engine, ANI, siti)
    await ani.send("/selesai 1")
    siti.now = ani.now
    await siti.send("oke makasih banyak ya kak")
    assert "Ke alamat mana" in siti.text
    assert (await Customer.get(name="Siti Rahma")).address is None
    await siti.send("Jl. Darmo No. 12, Wonokromo")
    assert (await Customer.get(name="Siti Rahma")).address == "Jl. Darmo No. 12, Wonokromo"


async def test_a_receipt_sent_to_a_person_still_stops_the_clock(shop_engine: Engine, siti: Chat):
    from bot.shop_jobs import chase_unpaid_orders

    await siti.to_confirmation("topi merah 1", phone="0812-3456-7890")
    await siti.send("ya")
    await siti.send("admin")
    await siti.send("", kind="photo", media_url="telegram-file:AgADr")
    assert siti.replies == []  # relayed to the person
    order = await Order.get()
    assert order.payment_claimed_at is not None and order.payment_proof_id is not None
    later = siti.now + timedelta(days=5)
    assert await chase_unpaid_orders(shop_engine.texts, shop_engine.shop, later) == (0, 0)


async def test_orders_from_before_the_rules_are_reminded_before_any_cancel(
    shop_engine: Engine, siti: Chat
):
    from bot.shop_jobs import chase_unpaid_orders

    await siti.to_confirmation("topi merah 1", phone="0812-3456-7890")
    await siti.send("ya")
    texts, shop = shop_engine.texts, shop_engine.shop
    five_days = siti.now + timedelta(days=5)  # the service was off, or the rules are new
    assert await chase_unpaid_orders(texts, shop, five_days) == (1, 0)
    assert await chase_unpaid_orders(texts, shop, five_days + timedelta(hours=47)) == (0, 0)
    assert await chase_unpaid_orders(texts, shop, five_days + timedelta(hours=48)) == (0, 1)
    weeks = siti.now + timedelta(days=30)
    await siti.to_confirmation("topi hitam 1")
    await siti.send("ya")
    await Order.filter(status="baru").update(updated_at=siti.now - timedelta(days=30))
    assert await chase_unpaid_orders(texts, shop, weeks) == (0, 0)  # too old: the team's


async def test_a_phone_order_is_never_cancelled_by_the_clock(shop_engine: Engine, siti: Chat):
    from bot.shop_jobs import chase_unpaid_orders

    ani = agent_chat(shop_engine, ANI, siti)
    await ani.send("/baru Rina Wati, 0813-1111-2222, Bandung, Jl. Mawar No. 5")
    await ani.send("/order rina: topi merah 1")
    assert "Pelanggan belum punya chat dengan toko" in ani.text
    later = ani.now + timedelta(days=10)
    assert await chase_unpaid_orders(shop_engine.texts, shop_engine.shop, later) == (0, 0)
    assert (await Order.get()).status == "baru"


async def test_closing_a_data_request_sends_no_chat_ended_message(shop_engine: Engine, siti: Chat):
    await siti.send("hapus data saya")
    ani = agent_chat(shop_engine, ANI, siti)
    await ani.send("/tugas")
    assert "/setujui 1 · hapus" in ani.text
    mark = await last_outbox_id()
    await ani.send("/tiket tutup 1")
    assert "ditutup" in ani.text and await told("2002", after=mark) == []


async def test_a_reply_that_cannot_be_sent_says_why(shop_engine: Engine, siti: Chat):
    await siti.send("admin")
    await sent_as("Tiket #1", f"{ANI}:77")
    ani = agent_chat(shop_engine, ANI, siti)
    await ani.send("", kind="sticker", reply_to=f"{ANI}:77")
    assert "Hanya teks yang bisa diteruskan" in ani.text
    await ani.send("x" * 1_200, reply_to=f"{ANI}:77")
    assert "paling banyak 1000" in ani.text
    await ani.send("/balas jam 10:00 ya kak kami kirim", reply_to=f"{ANI}:77")
    assert (await told("2002"))[-1] == "jam 10:00 ya kak kami kirim"


async def test_orders_placed_at_once_get_numbers_one_after_another(shop_engine: Engine, siti: Chat):
    import asyncio

    chats = [siti]
    for n in range(5):
        chat = Chat(shop_engine, sender=f"31{n}", telegram_id=310 + n, display_name=f"C{n}")
        await chat.onboard(name=f"Pembeli {n}", city="Bandung")
        chats.append(chat)
    for chat in chats:
        await chat.to_confirmation("hijab voal mocca 1", phone="0812-3456-7890")
    moment = max(chat.now for chat in chats)
    for chat in chats:
        chat.now = moment
    await asyncio.gather(*(chat.send("ya") for chat in chats))
    numbers = sorted(await Order.all().values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:04d}" for n in range(1, 7)]
    assert not any("gangguan" in chat.text for chat in chats)


async def test_trying_the_bot_as_a_customer_in_a_terminal_never_takes_their_news(
    shop_engine: Engine, siti: Chat
):
    from crm_core.customers.records import reachable_chat

    customer = await Customer.get(name="Siti Rahma")
    await Conversation.create(
        channel="terminal", address="demo", customer=customer, state="idle", data={},
        last_inbound_at=siti.now + timedelta(hours=1), created_at=siti.now, updated_at=siti.now,
    )  # fmt: skip
    chat = await reachable_chat(customer.id)
    assert chat is not None and chat.channel == "telegram"
