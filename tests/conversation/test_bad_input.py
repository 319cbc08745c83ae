"""Whatever a customer sends, they get a clear answer, the state stays valid, and the
message is logged."""

from __future__ import annotations

import asyncio

import pytest

from bot.conversation.flows import build_flows
from crm_core.models import Conversation, Customer, Message, Order, OrderItem, Product
from tests.support.chat import Chat

ODD_TEXTS = [
    "",
    "   ",
    "😀🛍️👕",
    "مرحبا، أريد أن أطلب",  # right-to-left
    "{{ 7*7 }}",
    "{% for x in range(10**9) %}x{% endfor %}",
    "'; DROP TABLE customer; --",
    "\x00\x07\x1b[31mred",
    "x" * 5000,
]


@pytest.mark.parametrize("text", ODD_TEXTS, ids=range(len(ODD_TEXTS)))
async def test_odd_text_in_the_menu_is_answered_and_logged(chat: Chat, text: str):
    await chat.onboard()
    await chat.send(text)
    assert chat.replies and all(r.text.strip() for r in chat.replies)
    assert "49" not in chat.text  # never rendered as a template
    logged = await Message.filter(direction="in").order_by("-id").first()
    assert logged is not None and logged.body == text.replace("\x00", "")[:10_000]
    assert (await Conversation.get()).state == "idle"
    assert await Customer.all().count() == 1


async def test_a_5000_character_message_says_it_is_too_long(chat: Chat):
    await chat.onboard()
    await chat.send("kaos " * 1000)
    assert "terlalu panjang" in chat.text


async def test_template_and_sql_looking_text_is_kept_as_typed(chat: Chat):
    await chat.onboard()
    await chat.send("tote bag 1")
    address = "Jl. {{ config }} No. 1'; DROP TABLE customer; --"
    await chat.send(address)
    await chat.send("081234567890")
    assert address in chat.text
    await chat.send("ya")
    assert (await Order.get()).ship_address == address
    assert await Customer.all().count() == 1


async def test_a_name_that_is_not_a_name_is_refused_politely(chat: Chat):
    await chat.send("halo")
    await chat.send("ya")
    for bad in ("{{ 7*7 }}", "12345", "", "x" * 81):
        await chat.send(bad)
        assert "belum bisa kami pakai" in chat.text
    assert (await Customer.get()).name is None


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location", "document", "other"])
async def test_non_text_mid_order_is_acknowledged_and_the_question_asked_again(
    chat: Chat, kind: str
):
    await chat.onboard()
    await chat.send("pesan")
    await chat.send("kaos polos")
    await chat.send("", kind=kind, media_url=None)
    assert "sudah kami terima" in chat.text and "pilih warnanya" in chat.text
    assert (await Conversation.get()).state == "order_colour"
    assert (await Message.filter(direction="in").order_by("-id").first()).kind == kind  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("typed", "state_after"),
    [
        ("ubah data", "update_field"),
        ("pesanan saya", "order_colour"),
        ("menu", "idle"),
        ("batal", "idle"),
        ("bahasa english", "order_colour"),
        ("bantuan", "order_colour"),
        ("STOP", "order_colour"),
    ],
)
async def test_typing_into_another_flow_mid_order(chat: Chat, typed: str, state_after: str):
    await chat.onboard()
    await chat.send("pesan")
    await chat.send("kaos polos")
    await chat.send(typed)
    assert chat.replies
    assert (await Conversation.get()).state == state_after
    assert await Order.all().count() == 0


async def test_menu_and_help_answer_in_every_state(chat: Chat):
    """Whatever step a customer is on, "menu" and "bantuan" get an answer."""
    await chat.onboard()
    customer = await Customer.get()
    product = await Product.get(name="Kaos Polos")
    for state in build_flows().states:
        for word in ("menu", "bantuan"):
            data = {"line": {"product": product.id}, "field": "city"}
            await Conversation.filter(customer_id=customer.id).update(state=state, data=data)
            await chat.send(word)
            assert chat.replies, (state, word)
            assert all(r.text.strip() for r in chat.replies)
            assert "gangguan" not in chat.text, (state, word)


async def test_stop_is_an_opt_out_only_as_the_whole_message(chat: Chat):
    await chat.onboard()
    await chat.send("stop, ukurannya salah")
    assert (await Customer.get()).opted_out_at is None
    await chat.send("STOP")
    assert "tidak akan menerima pesan promo" in chat.text and "MULAI" in chat.text
    opted_out = (await Customer.get()).opted_out_at
    assert opted_out is not None
    await chat.send("Berhenti!")  # said again: still confirmed, time of the first kept
    assert (await Customer.get()).opted_out_at == opted_out
    await chat.send("MULAI")
    assert "Selamat datang kembali" in chat.text
    assert (await Customer.get()).opted_out_at is None


async def test_cancel_is_an_opt_out_only_outside_an_order(chat: Chat):
    await chat.onboard()
    await chat.send("pesan")
    await chat.send("cancel")
    assert (await Customer.get()).opted_out_at is None
    assert (await Conversation.get()).state == "idle"
    await chat.send("cancel")
    assert (await Customer.get()).opted_out_at is not None


async def test_language_switch_changes_every_later_answer(chat: Chat):
    await chat.onboard()
    await chat.send("bahasa english")
    assert "carry on in English" in chat.text and "Order" in chat.choices
    await chat.send("my orders")
    assert "no orders yet" in chat.text
    await chat.send("bahasa indonesia")
    assert "Bahasa Indonesia" in chat.text
    assert (await Customer.get()).language == "id"


async def test_update_profile_changes_address_phone_city_and_name(chat: Chat):
    await chat.onboard()
    for field, value, _stored in (
        ("Alamat", "Jl. Riau No. 20, Bandung Wetan", "Jl. Riau No. 20, Bandung Wetan"),
        ("Nomor HP", "0813 1111 2222", "+6281311112222"),
        ("Kota", "Cimahi", "Cimahi"),
        ("Nama", "Budi S.", "Budi S."),
    ):
        await chat.send("ubah data")
        await chat.send(field)
        await chat.send(value)
        assert "sudah" in chat.text
    c = await Customer.get()
    assert (c.address, c.phone, c.city, c.name) == (
        "Jl. Riau No. 20, Bandung Wetan",
        "+6281311112222",
        "Cimahi",
        "Budi S.",
    )


async def test_a_typed_number_of_another_customer_is_used_for_delivery_only(chat: Chat):
    from tests.support.chat import START

    siti = await Customer.create(
        name="Siti", phone="+6281299998888", created_at=START, updated_at=START
    )
    await chat.onboard()
    await chat.to_confirmation("tote bag 1", phone="0812-9999-8888")
    assert "Siti" not in chat.text
    await chat.send("ya")
    order = await Order.get()
    assert order.ship_phone == "+6281299998888" and order.customer_id != siti.id  # type: ignore[attr-defined]
    assert (await Customer.get(id=siti.id)).orders_count == 0


async def test_two_messages_from_one_customer_at_once_leave_consistent_state(chat: Chat, engine):
    await chat.onboard()
    other = Chat(engine, display_name="Budi", telegram_id=1001)
    results = await asyncio.gather(chat.send("pesan"), other.send("ubah data"))
    assert all(results)
    assert await Customer.all().count() == 1
    assert await Conversation.all().count() == 1
    assert (await Conversation.get()).state in ("order_product", "update_field")
    assert await Message.filter(direction="in").count() == 7


async def test_the_same_first_message_delivered_twice_at_once_creates_one_customer(engine):
    first, second = Chat(engine, sender="777"), Chat(engine, sender="777")
    results = await asyncio.gather(
        first.send("halo", external_id="dup-1"), second.send("halo", external_id="dup-1")
    )
    assert sorted(len(r) for r in results) == [0, 1]
    assert await Customer.all().count() == 1


async def test_two_first_messages_from_a_new_customer_at_once(engine):
    first, second = Chat(engine, sender="778"), Chat(engine, sender="778")
    results = await asyncio.gather(first.send("halo"), second.send("hai"))
    assert all(results)
    assert await Customer.all().count() == 1
    assert await Message.filter(direction="in").count() == 2


@pytest.mark.parametrize("answer", ["ya ga boleh lah", "iya tapi jangan kirim promo", "hmm"])
async def test_a_mixed_consent_answer_is_asked_again_not_guessed(chat: Chat, answer: str):
    await chat.send("halo")
    await chat.send(answer)
    assert "Ya* atau *Tidak" in chat.text
    assert (await Customer.get()).consent_marketing is None


async def test_a_no_inside_a_yes_does_not_place_the_order(chat: Chat):
    await chat.onboard()
    await chat.to_confirmation("tote bag 1")
    await chat.send("ya ampun, jangan pesan dulu")
    assert "Ketik *Ya* untuk konfirmasi" in chat.text
    assert await Order.all().count() == 0


@pytest.mark.parametrize("text", ["kaos ①", "፪", "²", "٣"])
async def test_unusual_digits_get_an_answer_not_an_apology(chat: Chat, text: str):
    await chat.onboard()
    await chat.send(text)
    assert chat.replies and "gangguan" not in chat.text
    await chat.send("pesan")
    await chat.send(text)
    assert chat.replies and "gangguan" not in chat.text


async def test_a_price_change_before_yes_is_shown_first(chat: Chat):
    await chat.onboard()
    await chat.to_confirmation("tote bag 2")
    assert "Rp70.000" in chat.text
    await Product.filter(name="Tote Bag Kanvas").update(price=40_000, updated_at=chat.now)
    await chat.send("ya")
    assert "berubah menjadi Rp40.000" in chat.text and "Rp80.000" in chat.text
    assert await Order.all().count() == 0
    await chat.send("ya")
    assert (await Order.get()).total == 80_000


async def test_a_long_size_from_the_catalog_can_be_ordered(chat: Chat):
    size = "All size (LD 110 cm, PB 140)"
    await Product.create(
        name="Gamis Rayon", price=120_000, colours=[], sizes=[size], updated_at=chat.now
    )
    await chat.onboard()
    await chat.send("gamis rayon")
    await chat.send("1")
    await chat.send("1")
    await chat.send("Jl. Merdeka No. 10, Sumur Bandung")
    await chat.send("081234567890")
    await chat.send("ya")
    assert (await OrderItem.get()).size == size


async def test_the_same_confirmation_sent_three_times_at_once_orders_once(chat: Chat, engine):
    """Without the per-chat lock, PostgreSQL ran all three and wrote three orders."""
    await chat.onboard()
    await chat.to_confirmation("tote bag 1")
    copies = [Chat(engine, display_name="Budi", telegram_id=1001) for _ in range(3)]
    for copy in copies:
        copy.now = chat.now
    # Open enough pooled connections first, so the three really overlap.
    await asyncio.gather(*(Customer.filter(id=i).exists() for i in range(6)))
    await asyncio.gather(*(copy.send("ya") for copy in copies))
    assert await Order.all().count() == 1
    customer = await Customer.get()
    assert (customer.orders_count, customer.total_spent) == (1, 35_000)
