"""Ordering from the catalog: buttons, numbers, or one line of free text."""

import pytest

from crm_core.models import Conversation, Customer, Order, OrderItem, OrderStatusChange
from tests.support.chat import Chat


async def test_free_text_order_goes_straight_to_confirmation_and_lands_whole(chat: Chat):
    await chat.onboard()
    await chat.to_confirmation("kaos hitam L 2", phone="0812-3456-7890")
    assert "Total: *Rp150.000*" in chat.text
    assert chat.choices == ("Ya, pesan", "Batal")
    assert await Order.all().count() == 0  # nothing is written before confirmation
    await chat.send("ya")
    assert "Pesanan INV-2026-0001 sudah kami terima" in chat.text

    order = await Order.get().prefetch_related("items")
    assert (order.status, order.total, order.channel) == ("baru", 150_000, "telegram")
    assert (order.ship_name, order.ship_city, order.ship_phone) == (
        "Budi Santoso",
        "Bandung",
        "+6281234567890",
    )
    [item] = order.items
    assert (item.product_name, item.colour, item.size, item.quantity, item.unit_price) == (
        "Kaos Polos",
        "Hitam",
        "L",
        2,
        75_000,
    )
    assert [s.status for s in await OrderStatusChange.all()] == ["baru"]
    customer = await Customer.get()
    assert (customer.orders_count, customer.total_spent) == (1, 150_000)
    assert customer.first_order_at == customer.last_order_at == order.created_at
    assert customer.phone == "+6281234567890"
    assert customer.address == "Jl. Merdeka No. 10, Sumur Bandung"


async def test_buttons_and_numbers_walk_through_product_colour_size_quantity(chat: Chat):
    await chat.onboard()
    await chat.send("Pesan")
    assert chat.choices == ("Hijab Voal", "Kaos Polos", "Kemeja Batik", "Tote Bag Kanvas")
    assert "Kemeja Batik (Rp150.000)" in chat.text
    await chat.send("3")
    assert chat.choices == ("Coklat", "Biru")
    await chat.send("biru")
    assert chat.choices == ("M", "L", "XL")
    await chat.send("XL")
    await chat.send("dua")
    await chat.send("Jl. Dago No. 1, Coblong")
    await chat.send("081234567890")
    assert "2× Kemeja Batik, Biru, ukuran XL @ Rp150.000" in chat.text
    assert "Rp300.000" in chat.text
    await chat.send("1")  # "Ya, pesan" by its number
    item = await OrderItem.get()
    assert (item.product_name, item.colour, item.size, item.quantity) == (
        "Kemeja Batik",
        "Biru",
        "XL",
        2,
    )


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("-5", "minimal 1"),
        ("0", "minimal 1"),
        ("1000000", "Maksimal 100"),
        ("banyak", "dengan angka"),
        ("", "dengan angka"),
    ],
)
async def test_bad_quantities_get_a_clear_answer_and_the_order_waits(
    chat: Chat, typed: str, answer: str
):
    await chat.onboard()
    await chat.send("pesan")
    await chat.send("tote bag kanvas")
    await chat.send(typed)
    assert answer in chat.text
    await chat.send("3")
    assert "Ke alamat mana" in chat.text
    assert await Order.all().count() == 0


async def test_unknown_product_and_option_say_what_exists(chat: Chat):
    await chat.onboard()
    await chat.send("pesan")
    await chat.send("sepatu kulit")
    assert "tidak ada di katalog" in chat.text and "Kaos Polos" in chat.text
    await chat.send("kaos polos")
    await chat.send("ungu")
    assert "Hitam, Putih, Navy" in chat.text


async def test_cancel_at_confirmation_writes_nothing(chat: Chat):
    await chat.onboard()
    await chat.to_confirmation("tote bag 1")
    await chat.send("Batal")
    assert await Order.all().count() == 0
    assert (await Customer.get()).orders_count == 0


async def test_my_orders_lists_recent_orders_with_status(chat: Chat):
    await chat.onboard()
    await chat.send("pesanan saya")
    assert "belum punya pesanan" in chat.text
    await chat.to_confirmation("hijab voal mocca 3")
    await chat.send("ya")
    await Order.filter(id=1).update(status="dikirim")
    await chat.send("pesanan saya")
    assert (
        "INV-2026-0001" in chat.text
        and "Dikirim" in chat.text
        and "3× Hijab Voal Mocca" in chat.text
    )
    assert "Rp135.000" in chat.text


async def test_blacklisted_customer_gets_a_polite_final_answer(chat: Chat):
    await chat.onboard()
    await Customer.filter(id=1).update(blacklisted=True, blacklist_reason="fake buyer")
    await chat.send("kaos hitam L 2")
    assert "tidak dapat menerima pesanan" in chat.text
    assert "fake buyer" not in chat.text
    await chat.send("pesan")
    assert "tidak dapat menerima pesanan" in chat.text
    assert await Order.all().count() == 0


async def test_a_product_removed_mid_order_is_not_ordered(chat: Chat, engine):
    from crm_core.models import Product

    await chat.onboard()
    await chat.send("pesan")
    await chat.send("kaos polos")
    await Product.filter(name="Kaos Polos").update(active=False)
    await chat.send("hitam")
    assert "Pilih produknya" in chat.text
    assert "Kaos Polos" not in chat.choices


async def test_only_telegram_is_told_of_the_contact_button(engine):
    """WhatsApp and the terminal have no "share my number" button: the phone question
    there says to type it, and nothing more."""
    from tests.support.chat import Chat

    for channel, sender, button in (
        ("telegram", "1001", True),
        ("whatsapp", "+6281377770000", False),
    ):
        chat = Chat(engine, channel=channel, sender=sender)
        await chat.onboard(name="Siti", city="Surabaya")
        await chat.send("kaos hitam L 2")
        await chat.send("Jl. Darmo No. 12, Wonokromo")
        assert "Ketik nomornya (misalnya 0812-3456-7890)" in chat.text
        assert ("bagikan kontak" in chat.text) is button


async def test_pesan_at_the_confirmation_orders_instead_of_starting_over(chat: Chat):
    await chat.onboard()
    await chat.to_confirmation("tote bag 1")
    await chat.send("pesan")
    assert await Order.all().count() == 1


async def test_a_greeting_mid_order_keeps_the_order(chat: Chat):
    await chat.onboard()
    await chat.send("pesan")
    await chat.send("kaos polos")
    await chat.send("halo")
    assert "pilih warnanya" in chat.text
    assert (await Conversation.get()).data["line"]["product"] is not None


async def test_menu_mid_order_says_the_order_was_dropped(chat: Chat):
    await chat.onboard()
    await chat.send("pesan")
    await chat.send("menu")
    assert chat.replies[0].text == "Dibatalkan."
