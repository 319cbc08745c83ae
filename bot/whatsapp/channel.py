"""The WhatsApp channel: incoming webhook forms through the engine, replies and
shop-started messages out through Twilio, inside WhatsApp's 24-hour rule.

Made to send (the outbox's messages need no engine); given an engine with
``receive_with``, it also takes the webhook's messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Self

from twilio.request_validator import RequestValidator

from bot.conversation.engine import Engine
from bot.dispatcher import ApprovedTemplate, Delivery
from bot.inbound import Reply, with_buttons
from bot.numbered_choices import numbered
from bot.report_links import CHART_NAMES, ChartLink, chart_url, link_key
from bot.send_queue import SendQueue
from bot.whatsapp.forms import CHANNEL, error_code, inbound_from_form, twilio_sid
from bot.whatsapp.sender import OUTSIDE_WINDOW, TwilioSender
from crm_core.models import Agent, Conversation
from crm_core.outreach.contact_policy import Gate
from crm_core.outreach.message_log import record_status
from crm_core.privacy.sealing import chat_index, phone_index

log = logging.getLogger(__name__)
STATUS_PATIENCE = 10.0  # seconds a status callback waits for its send to be written


class WhatsAppChannel:
    name = "whatsapp"

    def __init__(self, sender: TwilioSender, auth_token: str, public_url: str) -> None:
        self._engine: Engine | None = None
        self.sender = sender
        self.validator = RequestValidator(auth_token)
        self.public_url = public_url.rstrip("/")
        self.link_key = link_key(auth_token)
        # Twilio's pace is the sender's own (TWILIO_WHATSAPP_RATE); no second limit here.
        self.outgoing = SendQueue(self._send_reply)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("this WhatsApp channel only sends: receive_with(engine) first")
        return self._engine

    def receive_with(self, engine: Engine) -> Self:
        """Take the webhook's messages too, each through ``engine``."""
        self._engine = engine
        return self

    def signed(self, path_and_query: str, form: Mapping[str, str], signature: str) -> bool:
        """Twilio signs the full public URL it called plus the form; behind a proxy the
        request's own URL differs, so the URL is rebuilt from LANGGAN_PUBLIC_URL."""
        if not signature:
            return False
        return bool(
            self.validator.validate(self.public_url + path_and_query, dict(form), signature)
        )

    async def receive(self, form: Mapping[str, str], received_at: datetime) -> None:
        """Handle one incoming message (raises InputError for a form that is not one);
        the replies go out from the send queue, so Twilio gets its answer at once."""
        inbound = inbound_from_form(form, received_at)
        replies = await self.engine.handle(inbound)
        self.outgoing.put(inbound.sender, replies)

    async def _send_reply(self, phone: str, reply: Reply) -> Delivery:
        """A reply from the send queue: its text (choices numbered), then the links to
        its charts. The sender paces Twilio and retries what Twilio could not take."""
        sent = await self.sender.send(phone, body=numbered(reply))
        if sent.status in ("failed", "needs_template"):
            return Delivery(sent.status, error_code=sent.error_code, error=sent.error)
        if reply.chart_days is not None:
            await self._send_charts(phone, reply.chart_days)
        return Delivery("sent", provider_id=sent.sid, provider_status=sent.status)

    async def _send_charts(self, phone: str, days: tuple[date, date]) -> None:
        """A report's charts, each a picture Twilio fetches from a signed link."""
        now = datetime.now(UTC)
        agent = await Agent.filter(phone_index=phone_index(phone)).first()
        language = agent.language if agent is not None else "id"
        for name in CHART_NAMES:
            link = ChartLink(name, days[0], days[1], language)
            await self.sender.send(phone, media_url=chart_url(self.public_url, self.link_key,
                                                              link, now))  # fmt: skip

    async def send_text(
        self,
        address: str,
        text: str,
        now: datetime,
        template: ApprovedTemplate | None = None,
        media_url: str | None = None,
        buttons: dict[str, object] | None = None,  # WhatsApp's are in the text, numbered
    ) -> Delivery:
        """A message the shop starts (from the outbox): free text inside the 24-hour
        window of that chat; outside it, the approved template decided with the message,
        or held as needs_template when it has none."""
        chat = await Conversation.filter(address_index=chat_index(CHANNEL, address)).first()
        last: datetime | None = None
        if chat is not None:
            last = chat.last_inbound_at
        elif (agent := await Agent.filter(phone_index=phone_index(address)).first()) is not None:
            last = agent.last_inbound_at  # an agent's own last command opens their window
        if not Gate.needs_template(CHANNEL, last, now):
            # A customer's photo relayed to an agent goes with it when Twilio can fetch
            # it (a link); a Telegram file id cannot leave Telegram, the text says [foto].
            link = media_url if media_url and media_url.startswith("https://") else None
            if buttons is not None:  # a reply held through a restart: its choices numbered
                text = numbered(with_buttons(text, buttons))
            sent = await self.sender.send(address, body=text, media_url=link)
        elif template is not None:
            sent = await self.sender.send(
                address, content_sid=template.sid, variables=template.variables
            )
        else:
            return Delivery(
                "needs_template",
                error="more than 24 hours since the customer's last WhatsApp message, "
                "and no approved template for this text",
            )
        if sent.status in ("failed", "needs_template"):
            return Delivery(sent.status, error_code=sent.error_code, error=sent.error)
        return Delivery("sent", provider_id=sent.sid, provider_status=sent.status)

    async def status(self, form: Mapping[str, str]) -> bool:
        """A delivery status callback; False when it names no message of ours, and
        InputError when a field is not what Twilio sends."""
        sid = twilio_sid(form, "MessageSid")
        status = form.get("MessageStatus", "").strip().lower()
        code = error_code(form)
        if sid is None or not status:
            return False
        if await record_status(CHANNEL, sid, status, code, outside_window=OUTSIDE_WINDOW):
            return True
        # Twilio may tell of a message before this process has written down that it sent
        # it (sends' ends are written a batch at a time): once they are, look again.
        try:
            async with asyncio.timeout(STATUS_PATIENCE):
                if not await self.outgoing.ends_written():
                    return False
        except TimeoutError:  # the store is away; its own errors are logged
            return False
        return await record_status(CHANNEL, sid, status, code, outside_window=OUTSIDE_WINDOW)

    async def drain(self) -> None:
        """Wait for the replies still going out (tests, and a clean shutdown)."""
        await self.outgoing.drain()

    async def close(self) -> None:
        await self.drain()
        await self.outgoing.close()
        await self.sender.close()
