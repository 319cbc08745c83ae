"""The same contract for both Telegram drivers: the real aiogram and python-telegram-bot
code, talking HTTP to a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from bot.telegram.aiogram_driver import AiogramDriver
from bot.telegram.json_session import JsonSession
from bot.telegram.ptb_driver import PtbDriver
from crm_core.models import Customer, CustomerMerge, Message, Order, OutboxMessage
from tests.fakes.telegram_api import TOKEN, FakeTelegram, handled, message_update
from tests.support.chat import START
from tests.support.sleeps import Sleeps

BUDI = 5001


async def say(driver: Any, text: str, user: int = BUDI, **fields: Any) -> None:
    await handled(driver, message_update(user, text, **fields))


async def test_a_whole_order_over_telegram(driver: Any, fake_telegram: FakeTelegram):
    for text in (
        "/start",
        "Ya, boleh",
        "Budi",
        "Bandung",
        "Lewati",
        "Pesan",
        "Kaos Polos",
        "Hitam",
        "L",
        "2",
        "Jl. Merdeka No. 10, Sumur Bandung",
    ):
        await say(driver, text)
    share = fake_telegram.to(BUDI)[-1]
    assert share.contact_buttons == ["📱 Bagikan nomor saya"]
    await say(
        driver, "", contact={"phone_number": "6281234567890", "first_name": "Budi", "user_id": BUDI}
    )
    confirm = fake_telegram.to(BUDI)[-1]
    assert "Total: <b>Rp150.000</b>" in confirm.text and confirm.parse_mode == "HTML"
    assert confirm.buttons == ["Ya, pesan", "Batal"]
    await say(driver, "Ya, pesan")
    # The order, then what comes of its shipping and payment, then the optional questions.
    assert any(
        "Pesanan INV-2026-0001 sudah kami terima" in s.text for s in fake_telegram.to(BUDI)[-5:]
    )

    order = await Order.get().prefetch_related("items", "customer")
    assert (order.total, order.customer.telegram_id, order.customer.phone) == (
        150_000,
        BUDI,
        "+6281234567890",
    )
    # Every reply is logged and marked sent with Telegram's message id.
    outgoing = await Message.filter(direction="out").order_by("id")
    assert len(outgoing) == len(fake_telegram.to(BUDI))
    assert {m.status for m in outgoing} == {"sent"}
    assert [m.external_id for m in outgoing] == [
        f"123456:{BUDI}:{i}" for i in range(1, len(outgoing) + 1)
    ]


async def test_choices_are_a_reply_keyboard(driver: Any, fake_telegram: FakeTelegram):
    await say(driver, "/start")
    first = fake_telegram.to(BUDI)[0]
    assert first.buttons == ["Ya, boleh", "Tidak"]
    assert first.reply_markup is not None and first.reply_markup["one_time_keyboard"] is True


async def test_a_repeated_update_id_is_handled_once(driver: Any, fake_telegram: FakeTelegram):
    update = message_update(BUDI, "/start")
    await handled(driver, update)
    await handled(driver, update)
    assert len(fake_telegram.to(BUDI)) == 1
    assert await Message.filter(direction="in").count() == 1


async def test_flood_control_waits_retry_after_then_delivers_once(
    driver: Any, fake_telegram: FakeTelegram, sleeps: Sleeps
):
    fake_telegram.fail_next("sendMessage", 429, retry_after=3)
    await say(driver, "/start")
    assert sleeps == [3.0]
    assert len(fake_telegram.to(BUDI)) == 1
    assert (await Message.get(direction="out")).status == "sent"


async def test_a_refused_send_is_recorded_on_the_message(driver: Any, fake_telegram: FakeTelegram):
    fake_telegram.fail_next(
        "sendMessage", 403, description="Forbidden: bot was blocked by the user"
    )
    await say(driver, "/start")
    logged = await Message.get(direction="out")
    assert logged.status == "failed" and "blocked" in (logged.error or "")


async def test_stickers_photos_and_locations_get_a_polite_answer(
    driver: Any, fake_telegram: FakeTelegram
):
    await say(
        driver,
        None,
        sticker={
            "file_id": "s1",
            "file_unique_id": "u1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
    )
    await say(driver, None, location={"latitude": -6.9, "longitude": 107.6})
    texts = [s.text for s in fake_telegram.to(BUDI)]
    assert any("stiker" in t for t in texts) and any("lokasi" in t for t in texts)
    kinds = await Message.filter(direction="in").order_by("id").values_list("kind", flat=True)
    assert kinds == ["sticker", "location"]


async def test_someone_elses_contact_card_does_not_open_their_record(
    driver: Any, fake_telegram: FakeTelegram
):
    await Customer.create(name="Siti", phone="+6281299998888", created_at=START, updated_at=START)
    for text in (
        "/start",
        "Ya",
        "Budi",
        "Bandung",
        "Lewati",
        "tote bag 1",
        "Jl. Merdeka No. 10, Sumur",
    ):
        await say(driver, text)
    await say(
        driver, "", contact={"phone_number": "+6281299998888", "first_name": "Siti", "user_id": 999}
    )
    assert await CustomerMerge.all().count() == 0
    siti = await Customer.get(name="Siti")
    assert siti.telegram_id is None
    assert "Siti" not in fake_telegram.to(BUDI)[-1].text


async def test_sharing_your_own_number_joins_your_earlier_record(
    driver: Any, fake_telegram: FakeTelegram
):
    """The record that already had the number, proven (a WhatsApp chat, the shop's own
    list), is the same person: one record, one history, and the freshest details."""
    earlier = await Customer.create(
        name="Budi S", phone="+6281234567890", phone_verified=True, city="Bandung",
        address="Jl. Lama No. 1, Bandung", email="budi@contoh.com", created_at=START,
        updated_at=START,
    )  # fmt: skip
    old_order = await Order.create(
        customer=earlier, channel="whatsapp", total=45_000, ship_name="Budi S",
        ship_address="Jl. Lama No. 1, Bandung", ship_city="Bandung", created_at=START,
        updated_at=START,
    )  # fmt: skip
    await Customer.filter(id=earlier.id).update(orders_count=1, total_spent=45_000)
    for text in ("/start", "Ya", "Budi", "Surabaya", "Lewati", "tote bag 1",
                 "Jl. Baru No. 99, Surabaya"):  # fmt: skip
        await say(driver, text)
    await say(
        driver,
        "",
        contact={"phone_number": "+62 812-3456-7890", "first_name": "Budi", "user_id": BUDI},
    )
    assert any("sudah kami gabungkan" in s.text for s in fake_telegram.to(BUDI)[-2:])
    confirm = fake_telegram.to(BUDI)[-1].text
    assert "Jl. Baru No. 99, Surabaya" in confirm and "Jl. Lama" not in confirm
    await say(driver, "ya")

    kept = await Customer.get(id=earlier.id)
    assert (kept.telegram_id, kept.phone, kept.phone_verified) == (BUDI, "+6281234567890", True)
    assert (kept.name, kept.city, kept.address, kept.email) == (
        "Budi", "Surabaya", "Jl. Baru No. 99, Surabaya", "budi@contoh.com",
    )  # fmt: skip
    assert (kept.orders_count, kept.total_spent) == (2, 45_000 + 35_000)
    assert await Order.filter(customer_id=earlier.id).count() == 2
    assert (await Order.get(id=old_order.id)).ship_address == "Jl. Lama No. 1, Bandung"
    merge = await CustomerMerge.get()
    assert merge.kept_id == earlier.id and merge.moved["messages"] > 0
    folded = await Customer.get(id=merge.merged_id)
    assert folded.merged_into_id == earlier.id  # type: ignore[attr-defined]
    assert (folded.name, folded.phone, folded.telegram_id, folded.address) == (None,) * 4


async def test_a_number_someone_only_typed_is_not_a_key_to_their_orders(
    driver: Any, fake_telegram: FakeTelegram
):
    """Ani typed Budi's number by mistake; when Budi proves it is his, he gets the number
    and nothing of Ani's."""
    ani = BUDI + 50
    for text in ("/start", "Ya", "Ani", "Bandung", "Lewati", "tote bag 2",
                 "Jl. Melati No. 5, Bandung", "0812-3456-7890", "ya"):  # fmt: skip
        await say(driver, text, user=ani)
    ani_record = await Customer.get(telegram_id=ani)
    assert (ani_record.phone, ani_record.phone_verified) == ("+6281234567890", False)

    own = {"phone_number": "6281234567890", "first_name": "Budi", "user_id": BUDI}
    await say(driver, "", contact=own)  # before consent: not kept
    assert await Customer.filter(phone_verified=True).count() == 0
    for text in ("Ya", "Budi", "Surabaya", "Lewati", "pesanan saya"):
        await say(driver, text)
    assert "belum punya pesanan" in fake_telegram.to(BUDI)[-2].text
    await say(driver, "ubah data")
    await say(driver, "Nomor HP")
    await say(driver, "", contact=own)
    await say(driver, "pesanan saya")
    seen = "\n".join(s.text for s in fake_telegram.to(BUDI))
    assert "Ani" not in seen and "Melati" not in seen and "Rp70.000" not in seen
    budi = await Customer.get(telegram_id=BUDI)
    assert (budi.phone, budi.phone_verified, budi.orders_count) == ("+6281234567890", True, 0)
    ani_record = await Customer.get(telegram_id=ani)
    assert ani_record.phone is None and ani_record.orders_count == 1
    assert await CustomerMerge.all().count() == 0


async def test_group_chats_are_ignored(driver: Any, fake_telegram: FakeTelegram):
    update = message_update(BUDI, "halo")
    update["message"]["chat"] = {"id": -100, "type": "group", "title": "Arisan"}
    await handled(driver, update)
    assert fake_telegram.sent == [] and await Message.all().count() == 0


@pytest.mark.parametrize("library", ["aiogram", "ptb"])
async def test_a_channel_made_to_send_needs_no_engine_and_refuses_updates(
    library: str, fake_telegram: FakeTelegram, sleeps: Sleeps
):
    """What ``langgan sweep`` builds: the outbox's message goes out, and an update given
    to it is refused out loud, not dropped."""
    cls = AiogramDriver if library == "aiogram" else PtbDriver
    channel = cls(TOKEN, fake_telegram.url, sleep=sleeps, clock=sleeps.clock)
    try:
        delivery = await channel.send_text(str(BUDI), "Halo Budi, *promo* hari ini", START)
        assert delivery.status == "sent"
        assert [s.text for s in fake_telegram.to(BUDI)] == ["Halo Budi, <b>promo</b> hari ini"]
        with pytest.raises(RuntimeError, match="only sends"):
            await channel.feed(message_update(BUDI, "halo"))
        with pytest.raises(RuntimeError, match="only sends"):
            await channel.start_polling()
    finally:
        await channel.close()


async def test_polling_picks_up_updates_once(driver: Any, fake_telegram: FakeTelegram):
    fake_telegram.queue_update(message_update(BUDI, "/start"))
    fake_telegram.queue_update(last := message_update(BUDI, "Ya"))
    await driver.start_polling()
    await asyncio.wait_for(fake_telegram.wait_sent(3), 10)
    # Both confirmed, and two polls since: an update handled twice would have been by now.
    await asyncio.wait_for(fake_telegram.wait_confirmed(last["update_id"], polls=2), 10)
    await driver.drain()
    texts = [s.text for s in fake_telegram.to(BUDI)]
    assert len(texts) == 3 and "Siapa nama Anda?" in texts[-1]
    assert await Message.filter(direction="in").count() == 2


async def test_two_customers_replies_are_both_recorded_as_sent(
    driver: Any, fake_telegram: FakeTelegram
):
    """Telegram's message ids repeat across chats; each chat's first reply is id 1."""
    await say(driver, "/start", user=BUDI)
    await say(driver, "/start", user=BUDI + 1)
    assert len(fake_telegram.sent) == 2
    assert await Message.filter(direction="out", status="sent").count() == 2


async def test_held_replies_reach_twenty_chats_and_their_ends_are_written_in_batches(
    driver: Any, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
):
    """As in ``langgan run``: each reply is held in the outbox with its turn, and once
    sent, the outbox and the log say so in a few statements, not one per reply."""
    driver.engine.hold_replies = lambda: datetime.now(UTC)
    caplog.set_level(logging.DEBUG, logger="tortoise.db_client")
    chats = [BUDI + i for i in range(20)]
    await asyncio.gather(*(driver.feed(message_update(chat, "/start")) for chat in chats))
    await driver.drain()
    assert sorted(s.chat_id for s in fake_telegram.sent) == chats
    assert await OutboxMessage.filter(kind="reply", status="sent").count() == 20
    assert await Message.filter(direction="out", status="sent").count() == 20
    ends = [
        r.getMessage() for r in caplog.records
        if r.getMessage().startswith(('UPDATE "outbox"', 'UPDATE "message"'))
    ]  # fmt: skip
    # Fewer statements than replies (one per reply for each table would be 40).
    assert 2 <= len(ends) < 20, ends


async def test_the_handlers_mount_inside_a_bot_the_shop_already_runs(
    sqlite_store: str, fake_telegram: FakeTelegram
):
    """A shop's own command keeps working; everything else reaches Langgan."""
    from aiogram import Bot, Dispatcher, Router
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.filters import Command
    from aiogram.types import Message as AiogramMessage
    from telegram import Update
    from telegram.ext import ApplicationBuilder, CommandHandler

    from bot.conversation.engine import Engine
    from bot.telegram.aiogram_driver import build_router
    from bot.telegram.ptb_driver import build_handlers
    from message_templates import Texts
    from tests.fakes.telegram_api import TOKEN

    engine = Engine(Texts())

    # aiogram: the shop's router first, Langgan's after it.
    shop = Router()

    @shop.message(Command("jam"))
    async def opening_hours(message: AiogramMessage) -> None:
        await message.answer("Buka 09.00-17.00")

    dispatcher = Dispatcher()
    dispatcher.include_routers(shop, build_router(engine))
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake_telegram.url)))
    await dispatcher.feed_raw_update(bot, message_update(BUDI, "/jam"))
    await dispatcher.feed_raw_update(bot, message_update(BUDI, "/start"))
    await bot.session.close()

    # python-telegram-bot: Langgan's handlers after the shop's, in the same group (the
    # first handler of a group that matches takes the update).
    async def ptb_hours(update: Update, context: object) -> None:
        assert update.message is not None
        await update.message.reply_text("Buka 09.00-17.00")

    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{fake_telegram.url}/bot")
        .base_file_url(f"{fake_telegram.url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("jam", ptb_hours))
    application.add_handlers(build_handlers(engine))
    async with application:
        await application.process_update(
            Update.de_json(message_update(BUDI + 1, "/jam"), application.bot)
        )
        await application.process_update(
            Update.de_json(message_update(BUDI + 1, "/start"), application.bot)
        )

    for user in (BUDI, BUDI + 1):
        texts = [s.text for s in fake_telegram.to(user)]
        assert texts[0] == "Buka 09.00-17.00" and "promo" in texts[1]


async def test_an_agent_works_from_telegram(driver: Any, fake_telegram: FakeTelegram):
    from crm_core.staff.agents import add_agent

    await add_agent("Ani", START, telegram_id=BUDI + 7)
    for text in ("/start", "Ya", "Budi", "Bandung", "Lewati"):
        await say(driver, text)
    await say(driver, "/cari budi", user=BUDI + 7)
    await say(driver, "/catat budi: suka hitam", user=BUDI + 7)
    answers = [s.text for s in fake_telegram.to(BUDI + 7)]
    assert "Budi, Bandung" in answers[0] and "tersimpan" in answers[1]
    await say(driver, "/cari budi")  # the customer typing the same learns nothing
    assert "Budi, Bandung" not in fake_telegram.to(BUDI)[-1].text


async def test_a_send_that_never_left_is_told_from_one_whose_outcome_is_unknown():
    """aiogram's driver: nothing listening at the Bot API's address means the message
    never left (sent again freely); a connection taken and never answered may have
    delivered it (a campaign's is then marked unknown, never sent twice)."""
    taken: list[asyncio.StreamWriter] = []
    silent = await asyncio.start_server(lambda _, writer: taken.append(writer), "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    closed = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    closed_port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    outcomes = []
    for url in (f"http://127.0.0.1:{closed_port}", f"http://127.0.0.1:{port}"):
        drv = AiogramDriver(TOKEN, url)
        drv.bot.session.timeout = 0.3
        try:
            outcomes.append(await drv.send_text(str(BUDI), "Halo kak", START))
        finally:
            await drv.close()
    for writer in taken:
        writer.close()
    silent.close()
    await silent.wait_closed()
    never_left, unknown = outcomes
    assert (never_left.status, never_left.maybe_sent) == ("retry", False)
    assert (unknown.status, unknown.maybe_sent) == ("retry", True)
    assert unknown.error == "TelegramNetworkError"


async def test_a_request_posted_as_json_keeps_every_field_aiogram_s_form_would():
    """Langgan's aiogram session posts JSON: a false, a zero or an empty list is still
    sent (``allowed_updates=[]`` means "the usual kinds", left out "as before"), and only
    a missing field is left out."""
    bodies: list[tuple[str, dict[str, Any]]] = []

    async def answer(request: web.Request) -> web.Response:
        bodies.append((request.content_type, await request.json()))
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api = TelegramAPIServer.from_base(f"http://127.0.0.1:{port}")
    bot = Bot(TOKEN, session=JsonSession(api=api))
    try:
        await bot.set_webhook("https://toko.example/telegram", allowed_updates=[],
                              drop_pending_updates=False, max_connections=0)  # fmt: skip
    finally:
        await bot.session.close()
        await runner.cleanup()
    assert bodies == [("application/json", {
        "url": "https://toko.example/telegram", "allowed_updates": [],
        "drop_pending_updates": False, "max_connections": 0,
    })]  # fmt: skip
