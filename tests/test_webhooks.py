"""Telegram's webhook on Langgan's own web server, and the health check."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web import SECRET_HEADER, build_app
from crm_core.models import Conversation, Customer, Message
from tests.fakes.telegram_api import FakeTelegram, message_update
from tests.test_telegram_contract import BUDI

SECRET = "s3cret-token_with-enough-entropy"


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
