"""Property: whatever sequence of messages arrives, the engine answers every one, never
fails, and never leaves an order half-written or the running figures wrong."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.conversation import Engine
from bot.conversation.states import STATES
from crm_core.catalog import CatalogCache
from crm_core.models import Conversation, Customer, Order, OrderItem
from crm_core.store import open_store
from message_templates import Texts
from tests.conftest import Chat, add_sample_catalog

WORDS = [
    "halo",
    "/start",
    "ya",
    "Ya, boleh",
    "tidak",
    "Budi",
    "Bandung",
    "lewati",
    "menu",
    "bantuan",
    "pesan",
    "pesanan saya",
    "ubah data",
    "batal",
    "cancel",
    "STOP",
    "MULAI",
    "bahasa english",
    "bahasa indonesia",
    "kaos hitam L 2",
    "kemeja batik biru XL 1",
    "tote bag 3",
    "hijab voal",
    "1",
    "2",
    "3",
    "4",
    "9",
    "0",
    "-5",
    "dua",
    "1000000",
    "Hitam",
    "XL",
    "Ya, pesan",
    "Batal",
    "Jl. Merdeka No. 10, Sumur Bandung",
    "0812-3456-7890",
    "081299998888",
    "Nama",
    "Alamat",
    "Nomor HP",
    "Kota",
    "{{ 7*7 }}",
    "'; drop table customer; --",
    "😀",
    "",
]

message = st.one_of(
    st.sampled_from(WORDS).map(lambda w: ("text", w)),
    st.text(max_size=40).map(lambda t: ("text", t)),
    st.sampled_from(["sticker", "photo", "location", "voice"]).map(lambda k: (k, "")),
    st.just(("contact", "+6281234567890")),
)


async def run_conversation(template: Path, messages: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "langgan.db"
        shutil.copy(template, path)
        async with open_store(f"sqlite://{path}", bring_up_to_date=False):
            await add_sample_catalog()
            engine = Engine(Texts(), catalog=CatalogCache(check_every=0))
            chat = Chat(engine, display_name="Budi", telegram_id=42)
            for kind, text in messages:
                extra = {"kind": kind}
                if kind == "contact":
                    extra = {"kind": kind, "verified_phone": text}
                    text = ""
                replies = await chat.send(text, **extra)
                assert replies, (kind, text)
                assert "gangguan" not in chat.text, (kind, text)
            await check_invariants()
            if messages == A_WHOLE_ORDER:  # the invariants were checked on real orders
                assert await Order.all().count() == 2


async def check_invariants() -> None:
    for conversation in await Conversation.all():
        assert conversation.state in STATES
    for order in await Order.all().prefetch_related("items"):
        assert order.items, "an order without items"
        assert order.total == sum(i.unit_price * i.quantity for i in order.items)
        assert all(1 <= i.quantity <= 100 for i in order.items)
    for customer in await Customer.all():
        orders = await Order.filter(customer_id=customer.id)
        assert customer.orders_count == len(orders)
        assert customer.total_spent == sum(o.total for o in orders)
    assert await OrderItem.filter(order_id__isnull=True).count() == 0


A_WHOLE_ORDER = [
    ("text", w)
    for w in (
        "halo",
        "ya",
        "Budi",
        "Bandung",
        "lewati",
        "kaos hitam L 2",
        "Jl. Merdeka No. 10, Sumur Bandung",
        "0812-3456-7890",
        "ya",
        "menu",
        "tote bag 3",
        "ya",
    )
]


@example(messages=A_WHOLE_ORDER)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(message, min_size=1, max_size=25))
def test_any_message_sequence_is_answered_and_leaves_the_store_consistent(
    sqlite_template: Path, messages: list[tuple[str, str]]
) -> None:
    asyncio.run(run_conversation(sqlite_template, messages))
