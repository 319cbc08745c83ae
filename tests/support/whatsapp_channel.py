"""The WhatsApp channel as the shop runs it, sending through the fake Twilio at the
shop's public URL."""

from __future__ import annotations

from bot.conversation.engine import Engine
from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.sender import TwilioSender
from crm_core.sales.catalog import CatalogCache
from message_templates import Texts
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio
from tests.support.sleeps import Sleeps

PUBLIC_URL = "https://toko.example"


def make_channel(
    fake: FakeTwilio, sleeps: Sleeps, texts: Texts, rate: float = 1000
) -> WhatsAppChannel:
    engine = Engine(texts, catalog=CatalogCache(check_every=0))
    sender = TwilioSender(
        ACCOUNT_SID, AUTH_TOKEN, SENDER, fake.url, rate=rate, sleep=sleeps, clock=sleeps.clock,
        status_callback=f"{PUBLIC_URL}/webhooks/whatsapp/status",
    )  # fmt: skip
    return WhatsAppChannel(sender, AUTH_TOKEN, PUBLIC_URL).receive_with(engine)
