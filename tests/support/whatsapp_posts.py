"""Posting to Langgan's WhatsApp webhook as Twilio does: a form for a message from a
customer, signed with the account's token for the shop's public URL."""

from __future__ import annotations

import io
import itertools
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient
from twilio.request_validator import RequestValidator

from bot.whatsapp.channel import WhatsAppChannel
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER
from tests.support.whatsapp_channel import PUBLIC_URL

SITI = "+6281234567890"

_sids = itertools.count(1)


def signature(path: str, form: dict[str, str]) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)


async def post(
    client: TestClient,
    form: dict[str, str],
    *,
    path: str = "/webhooks/whatsapp",
    sign: str | bool | None = None,
    body: bytes | None = None,
) -> int:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign is not False:
        headers["X-Twilio-Signature"] = sign if isinstance(sign, str) else signature(path, form)
    data = body if body is not None else urlencode(form).encode()
    response = await client.post(path, data=io.BytesIO(data), headers=headers)
    client.last_text = await response.text()  # type: ignore[attr-defined]
    return response.status


def message(text: str = "", phone: str = SITI, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": f"SM{next(_sids):032x}", "AccountSid": ACCOUNT_SID,
        "From": f"whatsapp:{phone}", "To": SENDER, "Body": text, "NumMedia": "0",
        "ProfileName": "Siti", "WaId": phone[1:],
        **extra,
    }  # fmt: skip


async def say(client: TestClient, channel: WhatsAppChannel, text: str, phone: str = SITI) -> int:
    status = await post(client, message(text, phone))
    await channel.drain()
    return status
