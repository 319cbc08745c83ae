"""WhatsApp through Twilio: signed webhooks into the app through a real HTTP server, and
the real twilio library sending to a fake Twilio REST API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from tortoise.transactions import in_transaction
from twilio.request_validator import RequestValidator

from bot.dispatcher import Delivery, Dispatcher
from bot.inbound import Reply
from bot.report_links import CHART_NAMES, ChartLink, chart_url
from bot.web import build_app
from bot.whatsapp.channel import WhatsAppChannel
from crm_core.models import Conversation, Customer, Message, Order
from crm_core.outreach.contact_policy import Candidate, Gate, Rules
from crm_core.outreach.outbox import Queued, enqueue_many
from message_templates import Texts
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.support.chat import START, Chat
from tests.support.sample_catalog import add_sample_catalog
from tests.support.sleeps import Sleeps
from tests.support.whatsapp_channel import PUBLIC_URL, make_channel
from tests.support.whatsapp_posts import SITI, message, post, say, signature


@pytest.fixture
async def client(channel: WhatsAppChannel) -> AsyncIterator[TestClient]:
    app = build_app(whatsapp=channel, channels={"whatsapp": {"enabled": True}})
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def test_a_signed_conversation_places_and_confirms_an_order(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    for text in ("halo", "1", "Siti", "Surabaya", "lewati", "kaos hitam L 2",
                 "Jl. Darmo No. 12, Wonokromo"):  # fmt: skip
        assert await say(client, channel, text) == 200
    confirm = fake_twilio.to(SITI)[-1].body or ""
    assert "Total: *Rp150.000*" in confirm and "(+6281234567890)" in confirm
    assert confirm.endswith("1. Ya, pesan\n2. Batal")  # choices as a numbered list
    await say(client, channel, "1")
    assert "Pesanan INV-2026-0001 sudah kami terima" in "\n".join(
        m.body or "" for m in fake_twilio.to(SITI)
    )

    order = await Order.get().prefetch_related("items", "customer")
    assert (order.channel, order.total, order.customer.phone) == ("whatsapp", 150_000, SITI)
    assert order.customer.phone_verified
    first = fake_twilio.to(SITI)[0]
    assert first.status_callback == f"{PUBLIC_URL}/webhooks/whatsapp/status"
    assert "Siti" in (first.body or "")  # the profile name, offered
    logged = await Message.filter(channel="whatsapp", direction="out").order_by("id")
    assert [m.external_id for m in logged] == [m.sid for m in fake_twilio.to(SITI)]
    assert {m.status for m in logged} == {"queued"}


async def test_numbers_pick_from_the_main_menu_on_whatsapp(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    """A WhatsApp customer has no buttons: every list is numbered, the menu's too, and
    the number picks (it was once "not understood" after the menu)."""
    for text in ("P", "iya kak", "Siti", "sby", "skip"):
        await say(client, channel, text)
    menu = fake_twilio.to(SITI)[-1].body or ""
    assert menu.endswith("1. Pesan\n2. Pesanan saya\n3. Ubah data\n4. Bantuan")
    await say(client, channel, "1")
    products = fake_twilio.to(SITI)[-1].body or ""
    assert "Pilih produknya" in products and "2. Kaos Polos" in products
    await say(client, channel, "2")
    assert "pilih warnanya" in (fake_twilio.to(SITI)[-1].body or "")
    await say(client, channel, "yg item kak")
    await say(client, channel, "uk L")
    await say(client, channel, "2 pcs")
    assert "Ke alamat mana" in (fake_twilio.to(SITI)[-1].body or "")


async def test_telegram_first_then_whatsapp_is_one_record_with_one_history(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    telegram = Chat(channel.engine, display_name="Siti", telegram_id=77)
    await telegram.onboard(name="Siti Aminah", city="Surabaya")
    await telegram.send("", kind="contact", verified_phone=SITI)
    await telegram.to_confirmation("tote bag 1", phone="")
    await telegram.send("ya")
    await say(client, channel, "halo")
    greeting = fake_twilio.to(SITI)[0].body or ""
    assert "Halo lagi, Siti Aminah" in greeting and "promo" not in greeting
    await say(client, channel, "pesanan saya")
    assert "INV-2026-0001" in (fake_twilio.to(SITI)[-2].body or "")
    assert await Customer.all().count() == 1
    customer = await Customer.get()
    assert {c.channel for c in await Conversation.filter(customer_id=customer.id)} == {
        "telegram", "whatsapp",
    }  # fmt: skip


@pytest.mark.parametrize(
    "forgery",
    ["missing", "wrong", "other_url", "other_body"],
)
async def test_unsigned_or_forged_requests_are_refused_and_change_nothing(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio, forgery: str
):
    form = message("halo")
    sign = {
        "missing": False,
        "wrong": "bm90IGEgc2lnbmF0dXJl",
        "other_url": RequestValidator(AUTH_TOKEN).compute_signature(
            "https://evil.example/webhooks/whatsapp", form
        ),
        "other_body": signature("/webhooks/whatsapp", message("halo")),
    }[forgery]
    assert await post(client, form, sign=sign) == 403
    await channel.drain()
    assert fake_twilio.sent == [] and await Message.all().count() == 0
    assert await Customer.all().count() == 0


async def test_a_retried_message_sid_is_handled_once(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    form = message("halo")
    assert await post(client, form) == 200
    assert await post(client, form) == 200  # Twilio's retry, same signature and sid
    await channel.drain()
    assert len(fake_twilio.to(SITI)) == 1
    assert await Message.filter(direction="in").count() == 1


@pytest.mark.parametrize(
    ("form", "answer"),
    [({}, "MessageSid is missing"),
     ({"MessageSid": "SM1", "Body": "halo"}, "From is missing"),
     ({"MessageSid": "SM2", "From": "whatsapp:+62 nomor", "Body": "x"}, "not a WhatsApp phone"),
     ({"MessageSid": "SM3", "From": "+6281234567890", "Body": "x"}, "not a WhatsApp phone")],
)  # fmt: skip
async def test_forms_that_are_not_a_message_get_400_and_write_nothing(
    client: TestClient, form: dict[str, str], answer: str
):
    assert await post(client, form) == 400
    assert answer in client.last_text  # type: ignore[attr-defined]
    assert await Message.all().count() == 0 and await Customer.all().count() == 0


async def test_a_body_over_one_megabyte_gets_413(client: TestClient):
    big = message("x" * 1_100_000)
    assert await post(client, big, sign="irrelevant") == 413


async def test_long_emoji_and_control_character_bodies_are_answered_and_logged(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    await say(client, channel, "halo")
    await say(client, channel, "ya")
    for text in ("x" * 5000, "😀🛍️", "\x07\x1b[31mhalo"):
        assert await say(client, channel, text) == 200
    assert len(fake_twilio.to(SITI)) >= 5
    bodies = await Message.filter(direction="in").order_by("id").values_list("body", flat=True)
    assert bodies[2:] == ["x" * 5000, "😀🛍️", "\x07\x1b[31mhalo"]


async def test_a_photo_is_kept_with_its_url_and_acknowledged(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/ME1"
    form = message("bukti transfer", NumMedia="1", MediaUrl0=url, MediaContentType0="image/jpeg")
    assert await post(client, form) == 200
    await channel.drain()
    logged = await Message.get(direction="in")
    assert (logged.kind, logged.media_url, logged.media_type, logged.body) == (
        "photo", url, "image/jpeg", "bukti transfer",
    )  # fmt: skip
    assert "foto Anda sudah kami terima" in (fake_twilio.to(SITI)[0].body or "")


async def test_media_without_a_url_and_a_shared_location_are_logged(
    client: TestClient, channel: WhatsAppChannel
):
    await post(client, message("", NumMedia="1", MediaContentType0="image/png"))
    await post(client, message("", Latitude="-6.9147", Longitude="107.6098", Address="Jl. Braga"))
    await channel.drain()
    photo, place = await Message.filter(direction="in").order_by("id")
    assert (photo.kind, photo.media_url) == ("photo", None)
    assert (place.kind, place.media_url, place.body) == (
        "location",
        "geo:-6.9147,107.6098",
        "Jl. Braga",
    )


async def test_429_and_5xx_are_retried_with_back_off(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio, sleeps: Sleeps
):
    fake_twilio.fail_next(429)
    fake_twilio.fail_next(503, times=2)
    await say(client, channel, "halo")
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(fake_twilio.to(SITI)) == 1 and fake_twilio.attempts == 4
    assert (await Message.get(direction="out")).status == "queued"


async def test_a_permanent_error_is_recorded_with_twilios_code(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio, sleeps: Sleeps
):
    fake_twilio.fail_next(400, code=21211)
    await say(client, channel, "halo")
    logged = await Message.get(direction="out")
    assert (logged.status, logged.error_code) == ("failed", "21211")
    assert sleeps == []


async def test_sends_keep_to_the_senders_rate(
    sqlite_store: str, fake_twilio: FakeTwilio, sleeps: Sleeps
):
    channel = make_channel(fake_twilio, sleeps, Texts(), rate=40)
    fake_twilio.clock = sleeps.clock  # the sender's clock: its waits pass at once
    for i in range(9):
        await channel.sender.send(f"+62812345678{i:02d}", body="tes")
    await channel.close()
    arrivals = [m.at for m in fake_twilio.sent]
    # 9 messages at 40 a second: 8 gaps of at least 25 ms, on the fake server's clock.
    assert arrivals[-1] - arrivals[0] >= 8 / 40 * 0.95


async def shop_message(channel: WhatsAppChannel, hours_since_last: float) -> Message:
    """A message the shop starts, the one way any goes: the gate's permit (with the
    approved template, when the shop has one), the outbox, the dispatcher, the channel."""
    chat = Chat(channel.engine, channel="whatsapp", sender=SITI, verified_phone=SITI)
    await chat.onboard(name="Siti", city="Surabaya")
    conversation = await Conversation.get(channel="whatsapp").prefetch_related("customer")
    customer = conversation.customer
    now = conversation.last_inbound_at + timedelta(hours=hours_since_last)  # type: ignore[operator]
    texts = channel.engine.texts
    body = texts.render("profile_done", customer.language, customer=customer)
    content = texts.whatsapp_content("profile_done", customer.language)
    template = (content.sid, content.values({"customer": customer})) if content else (None, None)
    candidate = Candidate(customer.id, "whatsapp", conversation.address, *template)
    no_quiet_hours = Gate(Rules(quiet_hours=(time(0, 0), time(0, 0))))
    async with in_transaction():
        permits = await no_quiet_hours.permit_many([candidate], "campaign:tes", "tes", now)
        await enqueue_many([Queued(permits[customer.id], body, "tes")], now)  # type: ignore[arg-type]
    assert await Dispatcher({"whatsapp": channel}, clock=lambda: now).run_once() == 1
    return await Message.filter(direction="out").order_by("-id").first()  # type: ignore[return-value]


async def test_inside_24_hours_a_shop_message_is_free_text(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    logged = await shop_message(channel, 23.5)
    [sent] = fake_twilio.to(SITI)
    assert (
        sent.body == "Terima kasih, Siti! Data Anda sudah tersimpan." and sent.content_sid is None
    )
    assert (logged.status, logged.external_id) == ("queued", sent.sid)


async def test_outside_24_hours_a_shop_message_goes_as_its_content_template(
    store: str, fake_twilio: FakeTwilio, sleeps: Sleeps, tmp_path: Path
):
    (tmp_path / "whatsapp.toml").write_text(
        '[profile_done]\nid = "HX'
        + "a" * 32
        + '"\nvariables = ["customer.name", "customer.city"]\n'
    )
    await add_sample_catalog()
    channel = make_channel(fake_twilio, sleeps, Texts(tmp_path))
    logged = await shop_message(channel, 30)
    await channel.close()
    [sent] = fake_twilio.to(SITI)
    assert sent.content_sid == "HX" + "a" * 32 and sent.body is None
    assert json.loads(sent.content_variables or "") == {"1": "Siti", "2": "Surabaya"}
    assert logged.status == "queued"


async def test_outside_24_hours_with_no_template_the_message_is_held_with_its_reason(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    logged = await shop_message(channel, 25)
    assert fake_twilio.sent == []
    assert logged.status == "needs_template" and "24 hours" in (logged.error or "")
    assert logged.body == "Terima kasih, Siti! Data Anda sudah tersimpan."


async def test_twilio_63016_holds_the_message_the_same_way(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    fake_twilio.fail_next(400, code=63016)
    logged = await shop_message(channel, 1)
    assert (logged.status, logged.error_code) == ("needs_template", "63016")


async def test_delivery_statuses_land_on_the_message(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    await say(client, channel, "halo")
    sid = fake_twilio.to(SITI)[0].sid
    path = "/webhooks/whatsapp/status"
    # The last "delivered" arrives late, after "read": a status never moves back.
    for status, stored in (("sent", "sent"), ("delivered", "delivered"), ("read", "read"),
                           ("delivered", "read")):  # fmt: skip
        form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
        assert await post(client, form, path=path) == 204
        assert (await Message.get(direction="out")).status == stored
    failed = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30008"}
    assert await post(client, failed, path=path) == 204
    logged = await Message.get(direction="out")
    assert (logged.status, logged.error_code) == ("undelivered", "30008")
    unsigned = {"MessageSid": sid, "MessageStatus": "read"}
    assert await post(client, unsigned, path=path, sign=False) == 403
    assert (await Message.get(direction="out")).status == "undelivered"
    unknown = {"MessageSid": "SM" + "9" * 32, "MessageStatus": "sent"}
    assert await post(client, unknown, path=path) == 204


async def test_health_reports_whatsapp(client: TestClient):
    response = await client.get("/healthz")
    assert (await response.json())["channels"] == {"whatsapp": {"enabled": True}}


async def test_an_agent_works_from_whatsapp(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    from crm_core.staff.agents import add_agent

    await add_agent("Ani", START, phone="+6281377778888")
    for text in ("halo", "1", "Siti", "Surabaya", "lewati"):
        await say(client, channel, text)
    await say(client, channel, "/pelanggan siti", phone="+6281377778888")
    card = fake_twilio.to("+6281377778888")[-1].body or ""
    assert "Siti" in card and "HP: +6281234567890" in card


async def test_an_agent_on_whatsapp_gets_the_reports_charts_by_signed_link(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    from crm_core.staff.agents import add_agent

    await add_agent("Ani", START, phone="+6281377778888")
    await say(client, channel, "/laporan 30d", phone="+6281377778888")
    summary, *pictures = fake_twilio.to("+6281377778888")
    assert "*Laporan" in (summary.body or "") and "Omzet" in (summary.body or "")
    assert "hanya dikirim di Telegram" not in (summary.body or "")
    links = [p.media_url or "" for p in pictures]
    assert [link.split("?")[0] for link in links] == [
        f"{PUBLIC_URL}/reports/charts/{name}" for name in CHART_NAMES
    ]
    # Twilio fetches each picture from the web server: a real PNG, drawn from the store.
    for link in links:
        response = await client.get(link.removeprefix(PUBLIC_URL))
        assert response.status == 200 and response.content_type == "image/png"
        png = await response.read()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    # A link someone changed (a longer period), or one past its hour, draws nothing.
    tampered = links[0].replace("from=", "from=2020-01-01&x=")
    assert (await client.get(tampered.removeprefix(PUBLIC_URL))).status == 403
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    old = chart_url(PUBLIC_URL, channel.link_key,
                    ChartLink("revenue.png", date(2026, 11, 1), date(2026, 11, 30), "id"),
                    long_ago)  # fmt: skip
    assert (await client.get(old.removeprefix(PUBLIC_URL))).status == 403


# Forms that carry what Twilio never sends, signed all the same: each is refused or kept
# safely, never a 5xx, and the next ordinary message is still answered.


async def still_answered(client: TestClient, channel: WhatsAppChannel, fake: FakeTwilio) -> None:
    other = "+6281299990000"
    assert await say(client, channel, "halo", other) == 200
    assert "promo" in (fake.to(other)[0].body or "")
    assert (await client.get("/healthz")).status == 200


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"NumMedia": "abc"}, "NumMedia"), ({"NumMedia": "-1"}, "NumMedia"),
     ({"NumMedia": "1e9"}, "NumMedia"), ({"MessageSid": "SM" + "0" * 70}, "MessageSid"),
     ({"MessageSid": "SM1'; DROP TABLE message"}, "MessageSid"),
     ({"MessageSid": "SM١٢٣"}, "MessageSid"),
     ({"Latitude": "north", "Longitude": "107.6"}, "Latitude"),
     ({"Latitude": "-6.9", "Longitude": "181"}, "Longitude"),
     ({"Latitude": "nan", "Longitude": "0"}, "Latitude"),
     ({"OriginalRepliedMessageSid": "x" * 100}, "OriginalRepliedMessageSid")],
)  # fmt: skip
async def test_fields_twilio_never_sends_get_400_and_write_nothing(
    client: TestClient,
    channel: WhatsAppChannel,
    fake_twilio: FakeTwilio,
    extra: dict[str, str],
    field: str,
):
    assert await post(client, message("halo", **extra)) == 400
    assert field in client.last_text  # type: ignore[attr-defined]
    await channel.drain()
    assert fake_twilio.sent == []
    assert await Message.all().count() == 0 and await Customer.all().count() == 0
    await still_answered(client, channel, fake_twilio)


async def test_a_status_that_comes_before_its_send_is_written_down_still_lands(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    # A send's end (its Twilio id) is written with the next batch: here an hour away.
    channel.outgoing.batch_every = 3600
    sent, send = asyncio.Event(), channel.outgoing.send

    async def telling(chat: str, reply: Reply) -> Delivery:
        delivery = await send(chat, reply)
        sent.set()
        return delivery

    channel.outgoing.send = telling
    assert await post(client, message("halo")) == 200
    await asyncio.wait_for(sent.wait(), 5)  # Twilio has taken the first reply
    sid = fake_twilio.to(SITI)[0].sid
    assert not await Message.exists(direction="out", external_id=sid)  # not written down yet

    failed = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30008"}
    async with asyncio.timeout(5):
        answer = await post(client, failed, path="/webhooks/whatsapp/status")
    # Back to the usual pace, and what is still held written now: had the callback
    # not written it, the test would otherwise sit out the hour before failing.
    channel.outgoing.batch_every = 0.02
    await channel.outgoing.ends_written()
    assert answer == 204
    logged = await Message.get(direction="out", external_id=sid)
    assert (logged.status, logged.error_code) == ("undelivered", "30008")
    await channel.drain()
    await logged.refresh_from_db()
    assert logged.status == "undelivered"  # the batch's "queued" did not move it back


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"ErrorCode": "3" * 40}, "ErrorCode"), ({"ErrorCode": "<b>"}, "ErrorCode"),
     ({"MessageSid": "SM" + "9" * 80}, "MessageSid")],
)  # fmt: skip
async def test_status_callbacks_with_fields_twilio_never_sends_get_400(
    client: TestClient,
    channel: WhatsAppChannel,
    fake_twilio: FakeTwilio,
    extra: dict[str, str],
    field: str,
):
    """An ErrorCode longer than the log's column was a database error, and a 500."""
    await say(client, channel, "halo")
    sid = fake_twilio.to(SITI)[0].sid
    form = {"MessageSid": sid, "MessageStatus": "failed", "AccountSid": ACCOUNT_SID, **extra}
    assert await post(client, form, path="/webhooks/whatsapp/status") == 400
    assert field in client.last_text  # type: ignore[attr-defined]
    logged = await Message.get(direction="out", external_id=sid)
    assert (logged.status, logged.error_code) == ("queued", None)
    await still_answered(client, channel, fake_twilio)


async def test_a_form_in_a_charset_nobody_knows_or_not_utf8_gets_400(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    for content_type, body in (
        ("application/x-www-form-urlencoded; charset=no-such-charset", b"Body=halo"),
        ("application/x-www-form-urlencoded", b"Body=halo \xff\xfe kak"),
    ):
        response = await client.post(
            "/webhooks/whatsapp", data=body,
            headers={"Content-Type": content_type, "X-Twilio-Signature": "x"},
        )  # fmt: skip
        assert response.status == 400
        assert "not a form" in await response.text()
    assert await Message.all().count() == 0
    await still_answered(client, channel, fake_twilio)


async def test_a_body_that_is_not_utf8_inside_is_kept_with_replacement_characters(
    client: TestClient, channel: WhatsAppChannel, fake_twilio: FakeTwilio
):
    """Percent-escaped bytes that are no UTF-8 (a lone surrogate's): the log keeps U+FFFD
    where they were, and only then is the message answered."""
    form = message("")
    body = urlencode(form).replace("Body=", "Body=halo+%ED%A0%80+kak").encode()
    signed = signature("/webhooks/whatsapp", dict(parse_qsl(body.decode(), keep_blank_values=True)))
    assert await post(client, form, sign=signed, body=body) == 200
    await channel.drain()
    received = await Message.get(direction="in")
    assert received.body.startswith("halo \ufffd") and received.body.endswith(" kak")
    assert "gangguan" not in (fake_twilio.to(SITI)[0].body or "")
    await still_answered(client, channel, fake_twilio)
