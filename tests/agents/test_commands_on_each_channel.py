"""Every agent command, through both Telegram drivers and through WhatsApp, against the
fake Bot API and the fake Twilio."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.agents.command_table import COMMANDS
from crm_core.models import AuditEvent, OutboxMessage
from crm_core.staff.agents import add_agent
from tests.fakes.telegram_api import FakeTelegram, handled, message_update
from tests.support.chat import START

BUDI, ANI = 5001, 9001

# A valid call of each command, in the order an agent might use them on one customer.
CALLS = [
    "/bantuan", "/cari budi", "/pelanggan budi", "/riwayat budi", "/catat budi: suka hitam",
    "/tag budi vip", "/untag budi vip", "/klaim budi", "/kirim budi: Halo Budi!",
    "/kirimulang OFFER",
    "/balas budi: Sama-sama", "/selesai budi", "/order budi: tote bag 1", "/ongkir 2 15rb",
    "/lunas 1", "/status 1 kirim", "/resi 1 JNE JP1234567890", "/notif off",
    "/ingatkan budi: 3d tanya ukuran", "/tugas", "/tiket", "/blacklist budi: fiktif",
    "/unblacklist budi", "/paksakirim budi: minta dihubungi | Halo lagi", "/laporan 30d",
    "/segmen", "/izin budi",
    "/izin budi: ya, setuju promo (ditanya lewat telepon)", "/setujui 1",
    "/baru Rina Wati, 0813-1111-2222, Bandung, Jl. Mawar No. 5", "/gabung budi rina",
]  # fmt: skip


async def prepared(call: str) -> str:
    """The call as an agent would type it then: /kirimulang names an offer whose send a
    crash cut off (here, the /kirim just before, as if it had been)."""
    if call.endswith("OFFER"):
        offer = await OutboxMessage.filter(kind="marketing").order_by("-id").first()
        assert offer is not None
        await OutboxMessage.filter(id=offer.id).update(status="unknown")
        return call.replace("OFFER", str(offer.id))
    return call


def test_the_calls_cover_every_command():
    assert {call.split()[0][1:] for call in CALLS} == {c.name for c in COMMANDS.values()}


async def onboard_budi(send: Any) -> None:
    for text in ("/start", "Ya", "Budi", "Bandung", "Lewati", "tote bag 1",
                 "Jl. Merdeka No. 10, Sumur Bandung", "081234567890", "ya",
                 "data saya", "admin"):  # fmt: skip
        await send(text)


async def test_every_command_over_telegram(driver: Any, fake_telegram: FakeTelegram):
    await add_agent("Ani", START, telegram_id=ANI, role="admin")
    await onboard_budi(lambda text: handled(driver, message_update(BUDI, text)))
    for call in CALLS:
        before = len(fake_telegram.to(ANI))
        await handled(driver, message_update(ANI, await prepared(call)))
        [answer] = fake_telegram.to(ANI)[before:]
        assert not answer.text.startswith(("Cara pakai", "Tidak bisa")), (call, answer.text)
        assert "tidak dikenal" not in answer.text
    assert await AuditEvent.filter(agent__name="Ani").count() >= 15


@pytest.fixture
async def whatsapp_client(channel: Any) -> AsyncIterator[Any]:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.web import build_app

    async with TestClient(TestServer(build_app(whatsapp=channel), host="127.0.0.1")) as client:
        yield client


async def test_every_command_over_whatsapp(whatsapp_client: Any, channel: Any, fake_twilio: Any):
    from tests.support.whatsapp_posts import say

    await add_agent("Ani", START, phone="+6281377778888", role="admin")
    agent = "+6281377778888"
    for text in ("halo", "1", "Budi", "Bandung", "lewati"):
        await say(whatsapp_client, channel, text)
    await say(whatsapp_client, channel, "tote bag 1")
    await say(whatsapp_client, channel, "Jl. Merdeka No. 10, Sumur Bandung")
    await say(whatsapp_client, channel, "ya")
    await say(whatsapp_client, channel, "data saya")  # ticket #1, for /setujui
    await say(whatsapp_client, channel, "admin")  # ticket #2, for /balas and /selesai
    for call in CALLS:
        before = len(fake_twilio.to(agent))
        await say(whatsapp_client, channel, await prepared(call), phone=agent)
        answer, *charts = fake_twilio.to(agent)[before:]
        assert all(c.media_url for c in charts)  # /laporan's charts come as pictures
        body = answer.body or ""
        assert not body.startswith(("Cara pakai", "Tidak bisa")), (call, body)
        assert "tidak dikenal" not in body
