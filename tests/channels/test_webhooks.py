"""Telegram's webhook on Langgan's own web server, and the health check."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from tortoise.connection import connections

from bot.web import SECRET_HEADER, TELEGRAM, build_app
from crm_core.models import Conversation, Customer, Message
from tests.fakes.telegram_api import FakeTelegram, message_update

SECRET = "s3cret-token_with-enough-entropy"

BUDI = 5001  # a customer's Telegram chat


@pytest.fixture
async def client(driver: Any) -> AsyncIterator[TestClient]:
    app = build_app(
        telegram=driver, telegram_secret=SECRET, channels={"telegram": {"enabled": True}}
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def post(client: TestClient, body: Any, secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    data = io.BytesIO(body if isinstance(body, bytes) else json.dumps(body).encode())
    response = await client.post("/webhooks/telegram", data=data, headers=headers)
    # The webhook is answered once the message is safe; its replies go after: wait.
    await client.server.app[TELEGRAM].drain()  # type: ignore[attr-defined]
    return response.status


async def test_a_signed_update_is_handled_and_answered(
    client: TestClient, fake_telegram: FakeTelegram
):
    assert await post(client, message_update(BUDI, "/start")) == 200
    assert "promo" in fake_telegram.to(BUDI)[0].text


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET[:-1], SECRET + "x"])
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_processed(
    client: TestClient,
    fake_telegram: FakeTelegram,
    secret: str | None,
):
    assert await post(client, message_update(BUDI, "/start"), secret) == 401
    assert fake_telegram.sent == []
    assert await Message.all().count() == 0 and await Customer.all().count() == 0


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[1,2]", b'{"message": {}}', b'{"update_id": "7"}']
)
async def test_malformed_bodies_get_400(client: TestClient, body: bytes):
    assert await post(client, body) == 400
    assert await Message.all().count() == 0


async def test_an_oversized_body_gets_413(client: TestClient):
    assert await post(client, b"{" + b" " * 1_100_000 + b"}") == 413


async def test_two_updates_from_one_customer_at_once_leave_consistent_state(
    client: TestClient,
    fake_telegram: FakeTelegram,
):
    for text in ("/start", "Ya", "Budi", "Bandung", "Lewati"):
        await post(client, message_update(BUDI, text))
    statuses = await asyncio.gather(
        post(client, message_update(BUDI, "pesan")), post(client, message_update(BUDI, "menu"))
    )
    assert statuses == [200, 200]
    assert await Customer.all().count() == 1
    assert await Conversation.all().count() == 1
    assert await Message.filter(direction="in").count() == 7
    assert (await Conversation.get()).state in ("idle", "order_product")


async def test_health_reports_store_and_channels(client: TestClient):
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"store": "ok", "channels": {"telegram": {"enabled": True}}}


# Hostile and poison requests: each is answered without a 5xx, what the store holds is
# checked, and the next ordinary message is still answered.


async def still_answered(client: TestClient, fake_telegram: FakeTelegram, user: int = 7001) -> None:
    before = len(fake_telegram.to(user))
    assert await post(client, message_update(user, "/start")) == 200
    assert "promo" in fake_telegram.to(user)[before].text
    assert (await client.get("/healthz")).status == 200


def with_message(**fields: Any) -> dict[str, Any]:
    update = message_update(BUDI, "halo, saya Rahasia Sekali")
    update["message"].update(fields)
    return update


@pytest.mark.parametrize(
    "update",
    [with_message(chat="not a chat"), with_message(date="yesterday"),
     with_message(date=None), {"update_id": 77, "message": [1, 2]},
     with_message(**{"from": {"id": BUDI, "is_bot": False, "first_name": ["Rahasia"]}})],
    ids=["chat_is_text", "date_is_text", "date_is_null", "message_is_a_list", "name_is_a_list"],
)  # fmt: skip
async def test_an_update_the_library_cannot_read_is_answered_200_logged_once_and_dropped(
    client: TestClient,
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    update: dict[str, Any],
):
    """Answered 500 before, so Telegram delivered it again, for ever."""
    caplog.set_level(logging.INFO)
    assert await post(client, update) == 200
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1 and dropped[0].exc_info is None
    assert "Rahasia" not in caplog.text  # what is wrong with it, never what it says
    assert fake_telegram.sent == []
    assert await Message.all().count() == 0 and await Customer.all().count() == 0
    await still_answered(client, fake_telegram)


@pytest.mark.parametrize(
    "sender",
    [{"id": 2**70}, {"id": -5}, {"id": 0}, {"id": "abc"}, {"id": 5.5}, {"id": True}],
    ids=["2**70", "negative", "zero", "text", "fraction", "true"],
)
async def test_ids_no_telegram_chat_has_are_answered_200_and_ignored(
    client: TestClient,
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    sender: dict[str, Any],
):
    """Telegram wants a 2xx for every update, or it delivers it again; a chat id of 2**70
    used to reach the store (a 64-bit column) and the send."""
    sender |= {"is_bot": False, "first_name": "Budi"}
    update = with_message(**{"from": sender, "chat": {"id": sender["id"], "type": "private"}})
    assert await post(client, update) == 200
    assert len([r for r in caplog.records if "dropped" in r.getMessage()]) == 1
    assert fake_telegram.sent == []
    assert await Message.all().count() == 0 and await Customer.all().count() == 0
    await still_answered(client, fake_telegram)


@pytest.mark.parametrize(
    "body",
    [b'{"update_id": 1, "message": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
     b"[" * 200_000, b'{"a": ' * 100_000],
    ids=["deep_in_an_update", "unclosed_arrays", "unclosed_objects"],
)  # fmt: skip
async def test_json_nested_thousands_deep_is_refused_before_it_is_parsed(
    client: TestClient, fake_telegram: FakeTelegram, body: bytes
):
    """Python's json, pydantic and python-telegram-bot all recurse once a level: this
    ended in a RecursionError and a 500."""
    response = await client.post(
        "/webhooks/telegram", data=body,
        headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status == 400
    assert "32" in (await response.json())["error"]
    assert await Message.all().count() == 0
    await still_answered(client, fake_telegram)


async def test_brackets_inside_a_text_are_not_nesting(
    client: TestClient, fake_telegram: FakeTelegram
):
    text = '"[{' * 300 + "\\"
    await still_answered(client, fake_telegram)
    assert await post(client, message_update(BUDI, text)) == 200
    assert text in await Message.filter(direction="in").values_list("body", flat=True)


async def test_a_text_with_lone_surrogates_is_stored_cleaned_and_answered(
    client: TestClient, fake_telegram: FakeTelegram
):
    """JSON can carry half a UTF-16 pair ("\\ud800"); UTF-8 cannot. The message was not
    logged, yet the customer was told "Pesan Anda sudah tercatat"."""
    update = message_update(BUDI, "halo \ud800 kak \udfff", first_name="Bu\udc00di")
    body = json.dumps(update).encode()  # ensure_ascii: the surrogates as \u escapes
    assert b"\\ud800" in body
    assert await post(client, body) == 200
    received = await Message.get(direction="in")
    assert received.body == "halo \ufffd kak \ufffd"
    assert (await Customer.get()).display_name == "Bu\ufffddi"
    answer = "\n".join(s.text for s in fake_telegram.to(BUDI))
    assert answer and "gangguan" not in answer and "tercatat" not in answer
    assert await Message.filter(direction="out", status="sent").count() >= 1


async def test_a_message_the_store_could_not_keep_is_not_said_to_be_recorded(
    client: TestClient, fake_telegram: FakeTelegram, store: str
):
    """The apology said "Pesan Anda sudah tercatat" even when logging it had failed too."""
    connection = next(iter(connections.all()))
    await connection.execute_script("ALTER TABLE message RENAME TO message_away")
    try:
        assert await post(client, message_update(BUDI, "/start")) == 200
    finally:
        await connection.execute_script("ALTER TABLE message_away RENAME TO message")
    answer = fake_telegram.to(BUDI)[-1].text
    assert "belum tersimpan" in answer and "sudah tercatat" not in answer
    assert await Message.all().count() == 0
    await still_answered(client, fake_telegram)


async def test_an_absurd_update_id_is_no_server_error(
    client: TestClient, fake_telegram: FakeTelegram
):
    update = message_update(BUDI, "/start")
    update["update_id"] = 2**70  # only ever a dedupe key, kept as text
    assert await post(client, update) == 200
    assert "promo" in fake_telegram.to(BUDI)[0].text
    assert await Message.filter(direction="in", external_id=f"123456:{2**70}").count() == 1
    assert await post(client, {"update_id": True, "message": {}}) == 400
    await still_answered(client, fake_telegram)


async def test_a_secret_header_that_is_not_utf8_is_refused_not_a_server_error(
    client: TestClient, fake_telegram: FakeTelegram
):
    """aiohttp keeps such bytes as lone surrogates, which ``str.encode`` refused: a 500."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    body = json.dumps(message_update(BUDI, "/start")).encode()
    writer.write(
        b"POST /webhooks/telegram HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + SECRET_HEADER.encode() + b": \xff\xfe" + SECRET.encode() + b"\r\n"
        + b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
        + b"\r\n\r\n" + body
    )  # fmt: skip
    status_line = await reader.readline()
    writer.close()
    assert status_line.split()[1] == b"401"
    assert await Message.all().count() == 0
    await still_answered(client, fake_telegram)
