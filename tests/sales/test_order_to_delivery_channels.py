"""The whole path from basket to parcel, and a hand-off both ways, through the real
libraries against fake servers: both Telegram drivers (aiogram, python-telegram-bot)
and WhatsApp through Twilio. The outbox is sent by the real dispatcher. What each side
reads, and what the store holds, are what is checked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.dispatcher import Dispatcher
from bot.telegram.aiogram_driver import AiogramDriver
from bot.telegram.ptb_driver import PtbDriver
from bot.web import build_app
from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.sender import TwilioSender
from crm_core.models import Message, Order, Ticket
from crm_core.staff.agents import add_agent
from tests.fakes.telegram_api import BOT_USER, TOKEN, FakeTelegram, handled, message_update
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio
from tests.support.chat import START
from tests.support.shop_catalog import add_catalog, shop_engine
from tests.support.sleeps import Sleeps
from tests.support.whatsapp_channel import PUBLIC_URL
from tests.support.whatsapp_posts import message, post

BUDI, ANI = 5001, 9001


@pytest.fixture(params=["aiogram", "ptb"])
async def telegram(
    request: pytest.FixtureRequest, store: str, fake_telegram: FakeTelegram, sleeps: Sleeps
) -> AsyncIterator[Any]:
    await add_catalog()
    cls = AiogramDriver if request.param == "aiogram" else PtbDriver
    driver = cls(TOKEN, fake_telegram.url, sleep=sleeps, clock=sleeps.clock)
    driver.receive_with(shop_engine())
    yield driver
    await driver.close()


def quoting(sent: Any) -> dict[str, Any]:
    """A Telegram reply to the bot's message ``sent``."""
    return {
        "message_id": sent.message_id,
        "date": 1_790_000_000,
        "chat": {"id": sent.chat_id, "type": "private"},
        "from": BOT_USER,
        "text": sent.text,
    }


async def test_basket_to_tracking_number_and_a_hand_off_over_telegram(
    telegram: Any, fake_telegram: FakeTelegram
):
    await add_agent("Ani", START, telegram_id=ANI)
    dispatch = Dispatcher({"telegram": telegram}).run_once

    async def budi(text: str | None, **fields: Any) -> str:
        before = len(fake_telegram.to(BUDI))
        await handled(telegram, message_update(BUDI, text, **fields))
        return "\n".join(s.text for s in fake_telegram.to(BUDI)[before:])

    async def ani(text: str, **fields: Any) -> str:
        before = len(fake_telegram.to(ANI))
        await handled(telegram, message_update(ANI, text, first_name="Ani", **fields))
        return "\n".join(s.text for s in fake_telegram.to(ANI)[before:])

    for text in ("/start", "Ya", "Budi Santoso", "Bandung", "Lewati"):
        await budi(text)
    said = await budi("kak mau pesen kaos polos item L 2, hijab voal mocca 1 sama topi merah 1")
    said += await budi("Jl. Merdeka No. 10, Sumur Bandung")
    said += await budi("0812-3456-7890")
    assert "Ongkir ke Bandung: Rp10.000" in said and "Total: <b>Rp255.000</b>" in said
    said = await budi("ya kak")
    assert "Silakan bayar <b>Rp255.000</b> untuk pesanan INV-2026-0001" in said
    await dispatch()
    assert "Pesanan baru #1" in fake_telegram.to(ANI)[-1].text

    photo = [{"file_id": "AgADreceipt", "file_unique_id": "r1", "width": 800, "height": 1200}]
    said = await budi(None, photo=photo)
    assert "Bukti transfer untuk pesanan INV-2026-0001" in said
    order = await Order.get()
    assert (await Message.get(id=order.payment_proof_id)).media_url == "telegram-file:AgADreceipt"
    await dispatch()
    receipt_shown = fake_telegram.photos_to(ANI)[-1]  # the receipt itself, to check it
    assert receipt_shown.filename == "AgADreceipt"
    assert "foto bukti transfer" in (receipt_shown.caption or "")

    assert "sekarang Dibayar" in await ani("/lunas 1")
    assert "(JNE JP1234567890)" in await ani("/resi 1 JNE JP1234567890")
    await dispatch()
    told = [s.text for s in fake_telegram.to(BUDI)[-2:]]
    assert "Pembayaran pesanan INV-2026-0001 sudah kami terima" in told[0]
    assert "Nomor resi: <b>JP1234567890</b>" in told[1]
    said = await budi("paket saya sampai mana ya")
    assert "lewat <b>JNE</b>, nomor resi <b>JP1234567890</b>" in said

    # A complaint: a person takes the chat, both ways, until they end it.
    assert "teruskan ke tim kami" in await budi("kak kaosnya sobek 😭")
    torn = [{"file_id": "AgADtorn", "file_unique_id": "t1", "width": 800, "height": 600}]
    assert await budi(None, photo=torn, caption="ini kak") == ""
    await dispatch()
    shown = fake_telegram.photos_to(ANI)[-1]
    assert shown.filename == "AgADtorn" and (shown.caption or "").endswith("[foto: ini kak]")
    assert await budi("gimana ini kak") == ""
    await dispatch()
    relayed = fake_telegram.to(ANI)[-1]
    assert relayed.text.endswith("gimana ini kak") and "Tiket #1" in relayed.text
    assert "masuk antrean" in await ani(
        "Maaf kak, kami kirim gantinya", reply_to_message=quoting(relayed)
    )
    await dispatch()
    assert fake_telegram.to(BUDI)[-1].text == "Maaf kak, kami kirim gantinya"
    assert await budi("makasih kak") == ""
    await dispatch()
    assert fake_telegram.to(ANI)[-1].text.endswith("makasih kak")
    assert "ditutup" in await ani("/selesai", reply_to_message=quoting(relayed))
    await dispatch()
    assert "bot kami melayani lagi" in fake_telegram.to(BUDI)[-1].text
    assert "ada yang bisa kami bantu" in await budi("menu")
    assert (await Ticket.get()).closed_by == "Ani"


@pytest.fixture
async def whatsapp(
    store: str, fake_twilio: FakeTwilio, sleeps: Sleeps
) -> AsyncIterator[WhatsAppChannel]:
    await add_catalog()
    sender = TwilioSender(
        ACCOUNT_SID, AUTH_TOKEN, SENDER, fake_twilio.url, rate=1000,
        sleep=sleeps, clock=sleeps.clock, status_callback=f"{PUBLIC_URL}/webhooks/whatsapp/status",
    )  # fmt: skip
    channel = WhatsAppChannel(sender, AUTH_TOKEN, PUBLIC_URL).receive_with(shop_engine())
    yield channel
    await channel.close()


async def test_basket_to_tracking_number_and_a_hand_off_over_whatsapp(
    whatsapp: WhatsAppChannel, fake_twilio: FakeTwilio
):
    siti, dewi = "+6281234567890", "+6281377778888"
    await add_agent("Dewi", START, phone=dewi)
    dispatch = Dispatcher({"whatsapp": whatsapp}).run_once
    async with TestClient(TestServer(build_app(whatsapp=whatsapp), host="127.0.0.1")) as client:

        async def say(text: str, phone: str = siti, **extra: str) -> str:
            before = len(fake_twilio.to(phone))
            assert await post(client, message(text, phone, **extra)) == 200
            await whatsapp.drain()
            return "\n".join(m.body or "" for m in fake_twilio.to(phone)[before:])

        for text in ("halo", "1", "Siti", "Surabaya", "lewati"):
            await say(text)
        said = await say("kaos polos hitam L 2 sama topi merah 1")
        said += await say("Jl. Darmo No. 12, Wonokromo")
        assert "Ongkir ke Surabaya: Rp20.000" in said and "Total: *Rp220.000*" in said
        assert "Silakan bayar *Rp220.000*" in await say("1")
        await say("/tugas", phone=dewi)  # opens Dewi's 24-hour window
        await dispatch()
        assert any("Pesanan baru #1" in (m.body or "") for m in fake_twilio.to(dewi))
        assert "Bukti transfer" in await say(
            "", NumMedia="1", MediaUrl0="https://api.twilio.com/m/1", MediaContentType0="image/jpeg"
        )
        await dispatch()
        receipt = fake_twilio.to(dewi)[-1]
        assert "foto bukti transfer" in (receipt.body or "")
        assert receipt.media_url == "https://api.twilio.com/m/1"  # the receipt itself
        await say("/lunas 1", phone=dewi)
        await say("/resi 1 SiCepat 000123456789", phone=dewi)
        await dispatch()
        assert "Nomor resi: *000123456789*" in (fake_twilio.to(siti)[-1].body or "")

        assert "teruskan ke tim kami" in await say("mau ngomong sama admin")
        assert await say("ukurannya kekecilan kak") == ""
        await dispatch()
        relayed = fake_twilio.to(dewi)[-1]
        assert (relayed.body or "").endswith("ukurannya kekecilan kak")
        await say(
            "Bisa ditukar kak, kirim balik ya", phone=dewi, OriginalRepliedMessageSid=relayed.sid
        )
        await dispatch()
        assert fake_twilio.to(siti)[-1].body == "Bisa ditukar kak, kirim balik ya"
        await say("/selesai siti", phone=dewi)
        await dispatch()
        assert "bot kami melayani lagi" in (fake_twilio.to(siti)[-1].body or "")
