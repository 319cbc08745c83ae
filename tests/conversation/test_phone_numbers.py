"""A phone number in a chat, typed at a step, shared as a contact card or proven by
WhatsApp: an order always has one for the courier, and a number never takes the place
of one already proven."""

from __future__ import annotations

from crm_core.models import Customer, Order
from tests.support.chat import Chat


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
