"""Property: whatever sequence of messages arrives, the engine answers every one, never
fails, and never leaves an order half-written or the running figures wrong."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.conversation.engine import Engine
from bot.conversation.flows import build_flows
from crm_core.models import Conversation, Customer, Order, OrderItem
from crm_core.sales.catalog import CatalogCache
from crm_core.store import open_store
from message_templates import Texts
from tests.support.chat import Chat
from tests.support.data_key import DATA_KEY
from tests.support.sample_catalog import add_sample_catalog
from tests.understanding.shop import corpus_catalog, corpus_understanding

CATALOG = corpus_catalog()
UNDERSTANDING = corpus_understanding()

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
    # The way shoppers write: slang, baskets, changes of mind, questions mid-flow,
    # numbers that are prices or phones, cancelling what was ordered.
    "kak mau pesen yg item uk L 2 ya",
    "kaos hitam L 2, hijab mocca 1 sama tote bag 1",
    "eh ganti yg putih aja",
    "ukuran M aja kak",
    "tambah 1 lagi",
    "jadi 3 aja",
    "hapus hijabnya",
    "ga jadi deh",
    "brp harganya kak?",
    "ongkir ke bandung brp?",
    "kaos navy ready?",
    "udah tf ya kak 150rb",
    "transfer 150rb",
    "kirim ke 081234567890 ya",
    "batalin pesanan saya kak",
    "stop, ukurannya salah",
    "jangan kirim promo lagi",
    "asdfgh",
    "seratus ribu lusin",
    "999999 lusin",
    "kaos " * 300,
    "🙏🙏🙏",
    "?!?!...",
]

message = st.one_of(
    st.sampled_from(WORDS).map(lambda w: ("text", w)),
    st.text(max_size=40).map(lambda t: ("text", t)),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=900, max_size=1_200).map(
        lambda t: ("text", t)
    ),
    st.sampled_from(["sticker", "photo", "location", "voice"]).map(lambda k: (k, "")),
    st.just(("contact", "+6281234567890")),
)


@contextlib.asynccontextmanager
async def fresh_engine(template: Path) -> AsyncIterator[Engine]:
    """Each example on a store of its own, copied from the migrated template."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "langgan.db"
        shutil.copy(template, path)
        async with open_store(f"sqlite://{path}", DATA_KEY, bring_up_to_date=False):
            await add_sample_catalog()
            yield Engine(Texts(), catalog=CatalogCache(check_every=0))


async def run_conversation(template: Path, messages: list[tuple[str, str]]) -> None:
    async with fresh_engine(template) as engine:
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
        assert conversation.state in build_flows().states
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


# Two people on Telegram. Ani sometimes types, or forwards a card of, the number that
# is Budi's; only Budi ever proves it. Whatever happens, neither sees the other's details.
ANI, BUDI = 41, 42
PHONE = "+6281234567890"
PERSONAL = {
    ANI: ["Ani", "Jl. Melati No. 5, Bandung", "0812-3456-7890"],
    BUDI: ["Budi", "Jl. Kenanga No. 7, Surabaya", "0812-3456-7890"],
}
SECRETS = {ANI: ("Melati", "Ani"), BUDI: ("Kenanga", "Budi")}
COMMON = ["halo", "ya", "Bandung", "lewati", "tote bag 2", "ya", "pesanan saya", "ubah data",
          "Nomor HP", "Alamat", "Nama", "menu", "STOP", "MULAI", "batal"]  # fmt: skip

step = st.tuples(
    st.sampled_from([ANI, BUDI]),
    st.one_of(
        st.sampled_from(COMMON).map(lambda w: ("text", w)),
        st.sampled_from([0, 1, 2]).map(lambda i: ("mine", str(i))),
        st.just(("contact", "")),
    ),
)


async def run_two_people(template: Path, steps: list[tuple[int, tuple[str, str]]]) -> None:
    async with fresh_engine(template) as engine:
        chats = {
            who: Chat(engine, sender=str(who), display_name="Pelanggan", telegram_id=who)
            for who in (ANI, BUDI)
        }
        for who, (kind, text) in steps:
            chat = chats[who]
            if kind == "mine":
                await chat.send(PERSONAL[who][int(text)])
            elif kind == "contact" and who == BUDI:
                await chat.send("", kind="contact", verified_phone=PHONE)
            elif kind == "contact":
                await chat.send("", kind="contact", shared_phone=PHONE)
            else:
                await chat.send(text)
            other = ANI if who == BUDI else BUDI
            for secret in SECRETS[other]:
                assert secret not in chat.text, (who, kind, text, chat.text)
        await check_invariants()


def _say(who: int, *texts: str) -> list[tuple[int, tuple[str, str]]]:
    return [(who, ("text", t)) for t in texts]


# Ani types Budi's number while ordering; Budi then proves it is his and looks around.
ANI_TYPES_BUDIS_NUMBER = [
    *_say(ANI, "halo", "ya"), (ANI, ("mine", "0")), *_say(ANI, "Bandung", "lewati"),
    *_say(ANI, "tote bag 2"), (ANI, ("mine", "1")), (ANI, ("mine", "2")), *_say(ANI, "ya"),
    *_say(BUDI, "halo", "ya"), (BUDI, ("mine", "0")), *_say(BUDI, "Bandung", "lewati"),
    (BUDI, ("contact", "")), *_say(BUDI, "pesanan saya", "ubah data", "tote bag 2"),
]  # fmt: skip


@example(steps=ANI_TYPES_BUDIS_NUMBER)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=40))
def test_two_people_sharing_a_number_never_see_each_others_details(
    sqlite_template: Path, steps: list[tuple[int, tuple[str, str]]]
) -> None:
    asyncio.run(run_two_people(sqlite_template, steps))


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from([*WORDS[:-1], "lusin", "x", "2", "-", "rb", "uk", "#12"]),
             max_size=30).map(" ".join),
))  # fmt: skip
def test_the_language_layer_reads_anything_and_names_only_catalog_items(text: str) -> None:
    """Random Unicode, a product name inside a long complaint, a quantity as big as it
    is written: read without an error, and every item named is one the shop sells."""
    reader = UNDERSTANDING.read(text)
    for mention in reader.items:
        assert all(p in CATALOG.items for p in mention.products)
        assert mention.quantity is None or 0 <= mention.quantity <= 999_999 * 20
