"""Regression tests: each names what went wrong before it was fixed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm_core.customers.records import attach_phone
from crm_core.models import ConsentEvent, Conversation, Customer, Order
from crm_core.store import is_transient
from tests.support.chat import START, Chat


async def test_an_order_is_never_placed_without_a_phone_for_the_courier(chat: Chat, engine):
    """The number typed at the phone step moved to its proven owner before the "ya": the
    order was written with no phone at all."""
    await chat.onboard()
    await chat.to_confirmation("tote bag 1")
    owner = Chat(
        engine, channel="whatsapp", sender="+6281234567890", verified_phone="+6281234567890"
    )
    await owner.send("halo")
    await chat.send("ya")
    assert "Nomor HP penerima" in chat.text
    assert await Order.all().count() == 0


async def test_a_forwarded_contact_card_does_not_replace_a_proven_number(chat: Chat):
    await chat.onboard()
    await chat.send("", kind="contact", verified_phone="+6281234567890")
    await chat.send("", kind="contact", shared_phone="+6281299998888")
    assert "pengiriman saja" in chat.text
    customer = await Customer.get()
    assert (customer.phone, customer.phone_verified) == ("+6281234567890", True)


async def test_on_whatsapp_a_typed_number_in_update_profile_is_read_as_typed(engine):
    """Every WhatsApp message carries the sender's proven number; "ubah data" used it
    instead of what was typed, and said "saved" to "asdf"."""
    siti = Chat(
        engine, channel="whatsapp", sender="+6281234567890", verified_phone="+6281234567890"
    )
    await siti.onboard(name="Siti")
    await siti.send("ubah data")
    await siti.send("Nomor HP")
    await siti.send("asdf")
    assert "belum bisa kami pakai" in siti.text
    await siti.send("0813 1111 2222")
    assert "pengiriman saja" in siti.text
    assert (await Customer.get()).phone == "+6281234567890"


@pytest.mark.parametrize("answer", ["Kak?", "min", "ya?", "ok?", "mau?", "pesan?", "dong"])
async def test_a_question_or_a_filler_is_not_consent(chat: Chat, answer: str):
    await chat.send("halo")
    await chat.send(answer)
    assert (await Customer.get()).consent_marketing is None


@pytest.mark.parametrize(
    ("answer", "consent"),
    [("iya boleh", True), ("2", False), ("ok ya", True),
     ("iya kak", True), ("boleh dong", True), ("tidak mau", False), ("ga usah", False),
     ("tidak, terima kasih", False), ("tidak 🙏", False), ("ngga", False)],
)  # fmt: skip
async def test_plain_answers_with_polite_words(chat: Chat, answer: str, consent: bool):
    await chat.send("halo")
    await chat.send(answer)
    assert (await Customer.get()).consent_marketing is consent


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


async def test_a_name_that_could_not_be_typed_back_is_not_offered(engine):
    rose = Chat(engine, sender="2002", display_name="🌸🌸", telegram_id=2002)
    await rose.send("halo")
    await rose.send("ya")
    assert rose.choices == ()


async def test_a_city_that_grows_when_capitalised_is_kept_short(chat: Chat):
    """ "ß" becomes "Ss": an 80-letter city grew to 81 and failed on every try."""
    await chat.send("halo")
    await chat.send("ya")
    await chat.send("Budi")
    await chat.send("ß" * 80)
    assert "gangguan" not in chat.text
    assert len((await Customer.get()).city or "") == 80


async def test_an_order_typed_during_the_optional_questions_is_taken(chat: Chat):
    await chat.onboard()
    await chat.to_confirmation("tote bag 1")
    await chat.send("ya")
    assert "Jenis kelamin" in chat.text
    await chat.send("kaos hitam L 2")
    assert "Total: *Rp150.000*" in chat.text


async def test_after_a_merge_the_last_stop_or_mulai_stands(store: str):
    """The merge kept the latest opt-out time of either record, even when the person
    had said MULAI later on the other one."""
    proven = await Customer.create(
        phone="+6281234567890", phone_verified=True, opted_out_at=START + timedelta(days=1),
        created_at=START, updated_at=START,
    )  # fmt: skip
    other = await Customer.create(telegram_id=5, created_at=START, updated_at=START)
    for customer, kind, day in (
        (other, "opt_out", 0),
        (proven, "opt_out", 1),
        (other, "opt_in", 2),
    ):
        await ConsentEvent.create(
            customer=customer, kind=kind, given=kind == "opt_in", wording=kind.upper(),
            channel="telegram", recorded_by="customer", at=START + timedelta(days=day),
        )  # fmt: skip
    result = await attach_phone(other, "+6281234567890", START + timedelta(days=3), verified=True)
    assert result.merged_from == other.id
    assert (await Customer.get(id=proven.id)).opted_out_at is None


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_deadlocks_and_serialization_failures_are_retried():
    assert is_transient(_Deadlock()) and not is_transient(ValueError("bug"))
