"""Orders from the agent's chat: /order and /status."""

from __future__ import annotations

import asyncio

import pytest

from bot.conversation.engine import Engine
from crm_core.models import AuditEvent, Customer, Order, OrderStatusChange, OutboxMessage
from crm_core.staff.agents import add_agent
from tests.support.chat import START, Chat
from tests.support.people import agent


@pytest.fixture
async def ani(engine: Engine) -> Chat:
    await add_agent("Ani", START, telegram_id=9001)
    return Chat(engine, sender="9001", telegram_id=9001)


@pytest.fixture
async def budi(chat: Chat) -> Customer:
    await chat.onboard(name="Budi Santoso")
    await chat.to_confirmation("tote bag 2", phone="0812-3456-7890")
    await chat.send("ya")
    return await Customer.get(name="Budi Santoso")


async def test_an_agent_records_a_phone_order(ani: Chat, budi: Customer):
    await ani.send(f"/order {budi.id}: kemeja batik biru XL 2")
    assert "• 2× Kemeja Batik Biru XL: Rp300.000\n" in ani.text and "Jl. Merdeka No. 10" in ani.text
    assert "Ongkir belum dihitung · Total Rp300.000\nHitung ongkirnya: /ongkir" in ani.text
    order = await Order.filter(channel="agent").prefetch_related("items").get()
    assert (order.total, order.items[0].size) == (300_000, "XL")
    assert (await OrderStatusChange.get(order_id=order.id)).by == "Ani"
    customer = await Customer.get(id=budi.id)
    assert (customer.orders_count, customer.total_spent) == (2, 370_000)


@pytest.mark.parametrize(
    ("text", "answer"),
    [("kemeja batik 2", "sebutkan warna dan ukurannya"), ("sepatu", "Tidak ada produk"),
     ("", "Cara pakai: /order")],
)  # fmt: skip
async def test_an_incomplete_phone_order_says_what_is_missing(
    ani: Chat, budi: Customer, text: str, answer: str
):
    await ani.send(f"/order {budi.id}: {text}")
    assert answer in ani.text
    assert await Order.all().count() == 1


async def test_status_moves_the_order_on_and_tells_the_customer(
    ani: Chat, budi: Customer, chat: Chat
):
    order = await Order.get()
    await ani.send(f"/status {order.id} dikirim")
    assert "sekarang Dikirim" in ani.text and "diberi tahu" in ani.text
    [told] = await OutboxMessage.filter(kind="service")
    assert (told.channel, told.address) == ("telegram", "1001")
    assert told.body == f"Pesanan {order.ref} sudah dikirim dan sedang dalam perjalanan."
    await chat.send("pesanan saya")
    assert "Dikirim" in chat.text
    await ani.send(f"/status {order.id} baru")
    assert "tidak bisa diubah menjadi baru" in ani.text
    await ani.send(f"/status {order.id} selesai")
    await ani.send(f"/status {order.id} batal")
    assert "tidak bisa diubah menjadi batal" in ani.text
    actions = await AuditEvent.filter(action="order.status").count()
    assert actions == 2


async def test_a_cancelled_order_leaves_the_running_figures(ani: Chat, budi: Customer):
    order = await Order.get()
    await ani.send(f"/status {order.id} batal")
    customer = await Customer.get(id=budi.id)
    assert (customer.orders_count, customer.total_spent, customer.last_order_at) == (0, 0, None)


async def test_the_customer_is_told_in_their_language(ani: Chat, budi: Customer, chat: Chat):
    await chat.send("bahasa english")
    order = await Order.get()
    await ani.send(f"/status {order.id} dibayar")
    assert (await OutboxMessage.get(kind="service")).body.startswith("We have received the payment")


@pytest.mark.parametrize("args", ["", "12", "abc dikirim", "999 dikirim", "1 terbang"])
async def test_bad_status_calls(ani: Chat, budi: Customer, args: str):
    await ani.send(f"/status {args}")
    assert ani.text.startswith(("Cara pakai", "Tidak bisa"))
    assert (await Order.get()).status == "baru"


async def test_a_phone_order_of_several_items_is_read_as_a_customer_writes_it(
    ani: Chat, budi: Customer
):
    """Once read with a matcher of its own, "kaos hitam L 2, hijab mocca 1" was saved at
    once as one kaos."""
    await ani.send(f"/order {budi.id}: kaos item L 2, hijab moka setengah lusin")
    assert "2× Kaos Polos Hitam L" in ani.text and "6× Hijab Voal Mocca" in ani.text
    order = await Order.filter(channel="agent").prefetch_related("items").get()
    assert order.total == 2 * 75_000 + 6 * 45_000
    assert sorted((i.product_name, i.quantity) for i in order.items) == [
        ("Hijab Voal", 6),
        ("Kaos Polos", 2),
    ]


async def test_a_phone_order_with_one_unclear_item_saves_nothing(ani: Chat, budi: Customer):
    await ani.send(f"/order {budi.id}: kaos hitam L 2, kemeja batik ungu XL 1")
    assert "Kemeja Batik tidak ada warna Ungu (Coklat, Biru)" in ani.text
    assert await Order.filter(channel="agent").count() == 0


@pytest.mark.parametrize(
    "command", ["/lunas {id}", "/paid {id}", "/status {id} lunas", "/status #{id} paid"]
)
async def test_a_payment_is_marked_in_the_words_agents_use(ani: Chat, budi: Customer, command: str):
    order = await Order.get()
    await ani.send(command.format(id=order.id))
    assert (await Order.get()).status == "dibayar"
    [told] = await OutboxMessage.filter(kind="service")
    assert "sudah kami terima" in told.body


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
