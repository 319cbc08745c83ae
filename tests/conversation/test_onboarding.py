"""First contact: consent before anything but the chat id and first name is kept."""

import pytest

from crm_core.models import ConsentEvent, Customer, Message
from tests.support.chat import Chat


async def test_first_message_asks_consent_and_keeps_only_chat_id_and_first_name(chat: Chat):
    await chat.send("halo")
    assert "promo" in chat.text and chat.choices == ("Ya, boleh", "Tidak")
    customer = await Customer.get()
    assert (customer.display_name, customer.telegram_id) == ("Budi", 1001)
    assert customer.name is None and customer.city is None and customer.phone is None
    assert customer.consent_marketing is None


async def test_yes_records_consent_with_the_exact_wording_then_asks_name_and_city(chat: Chat):
    await chat.send("halo")
    asked = chat.replies[0].text
    await chat.send("Ya, boleh")
    assert "Siapa nama Anda?" in chat.text
    assert chat.choices == ("Budi",)  # the Telegram first name, offered not forced
    await chat.send("Budi Santoso")
    assert "kota" in chat.text
    await chat.send("bandung")
    assert "Dari mana Anda tahu" in chat.text
    await chat.send("2")  # TikTok, by its number in the list
    assert "Data Anda sudah tersimpan" in chat.text
    customer = await Customer.get()
    assert customer.consent_marketing is True
    assert customer.consent_text == asked and customer.consent_channel == "telegram"
    assert (customer.name, customer.city, customer.lead_source) == (
        "Budi Santoso",
        "Bandung",
        "tiktok",
    )
    event = await ConsentEvent.get()
    assert (event.kind, event.given, event.recorded_by) == ("marketing", True, "customer")
    assert event.wording == asked


async def test_no_still_lets_them_order_and_never_asks_optional_questions(chat: Chat):
    await chat.onboard(consent="tidak")
    assert "tidak akan mengirim promo" in "\n".join(
        m.body for m in await Message.filter(direction="out")
    )
    await chat.to_confirmation(
        "tote bag kanvas 1", "Jl. Asia Afrika No. 8, Sumur Bandung", "0812-3456-7890"
    )
    await chat.send("ya")
    assert "Pesanan INV-2026-0001" in chat.text
    assert "Jenis kelamin" not in chat.text  # no optional questions without consent
    customer = await Customer.get()
    assert customer.consent_marketing is False and customer.orders_count == 1


async def test_unclear_consent_answer_asks_again_and_keeps_nothing(chat: Chat):
    await chat.send("halo")
    await chat.send("hmm apa ini")
    assert "Ya* atau *Tidak" in chat.text
    assert (await Customer.get()).consent_marketing is None


async def test_other_words_before_consent_get_an_answer_but_do_not_skip_it(chat: Chat):
    await chat.send("halo")
    for word in ("menu", "pesan", "ubah data"):
        await chat.send(word)
        assert "izin" in chat.text and chat.choices == ("Ya, boleh", "Tidak")
    await chat.send("bantuan")
    assert "pesanan saya" in chat.text


async def test_an_order_in_the_first_message_is_picked_up_after_onboarding(chat: Chat):
    await chat.send("kaos hitam L 2")
    assert "promo" in chat.text  # consent first
    await chat.send("ya")
    await chat.send("Budi")
    await chat.send("Bandung")
    await chat.send("lewati")
    assert "Ke alamat mana" in chat.text  # straight back to the order


async def test_optional_questions_are_offered_once_after_the_first_order(chat: Chat):
    await chat.onboard()
    await chat.to_confirmation("tote bag 1", "Jl. Braga No. 5, Bandung Wetan")
    await chat.send("ya")
    assert "Jenis kelamin" in chat.text
    await chat.send("Perempuan")
    await chat.send("27")
    await chat.send("budi@contoh.com")
    customer = await Customer.get()
    assert (customer.gender, customer.age_band, customer.email) == ("f", "25-34", "budi@contoh.com")
    await chat.send("tote bag 1")
    await chat.send("ya")
    assert "Jenis kelamin" not in chat.text
    assert (await Customer.get()).orders_count == 2


async def test_a_known_person_in_a_new_chat_is_not_asked_again(chat: Chat, engine):
    """Someone who answered on Telegram and proved their number, writing from that
    number on another channel, is the same record and carries on."""
    await chat.onboard()
    await chat.send("", kind="contact", verified_phone="+6281234567890")
    other_channel = Chat(
        engine, channel="whatsapp", sender="+6281234567890", verified_phone="+6281234567890"
    )
    await other_channel.send("halo")
    assert "Halo lagi, Budi Santoso" in other_channel.text
    assert "promo" not in other_channel.text  # no second consent question
    assert "tersimpan" not in other_channel.text and other_channel.choices[0] == "Pesan"
    assert await Customer.all().count() == 1
    assert await ConsentEvent.all().count() == 1


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
