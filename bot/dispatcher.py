"""The outbox dispatcher: takes due messages from the store and sends each through its
channel. Any number of dispatchers, in any number of processes, may run: each message is
claimed by exactly one (see crm_core.outreach.outbox)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from tortoise.transactions import in_transaction

from crm_core.outreach.contact_policy import MARKETING, Gate, Rules
from crm_core.outreach.message_log import log_sent, record_send
from crm_core.outreach.outbox import (
    UNKNOWN,
    defer,
    finish,
    retry_later,
    take_back_lost,
    take_next,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """What became of one send: sent (the provider took it), retry (flood control, a
    network or server error), failed (final, with why), needs_template, or cancelled
    (a marketing message the customer no longer wants)."""

    status: str
    provider_id: str | None = None
    provider_status: str = "sent"  # what the message log records: Twilio says "queued"
    error_code: str | None = None
    error: str | None = None
    # A retry whose request may have arrived all the same (a timeout, a dropped
    # connection after it was written): a marketing message is then not sent again.
    maybe_sent: bool = False
    retry_after: float | None = None  # flood control's wait, in seconds


@dataclass(frozen=True)
class ApprovedTemplate:
    """The shop's approved WhatsApp template standing in for a text once the chat's
    24-hour window has closed: its content id and the values of its variables."""

    sid: str
    variables: dict[str, str]


class ChannelSender(Protocol):
    async def send_text(
        self,
        address: str,
        text: str,
        now: datetime,
        template: ApprovedTemplate | None = None,
        media_url: str | None = None,
        buttons: dict[str, object] | None = None,
    ) -> Delivery: ...


class Dispatcher:
    def __init__(
        self,
        senders: dict[str, ChannelSender],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        jobs: Sequence[Callable[[datetime], Awaitable[object]]] = (),
        rules: Rules | None = None,
    ) -> None:
        self.senders = senders
        self.clock = clock
        self.gate = Gate(rules or Rules())
        self.jobs = jobs  # run first on each tick: what they queue goes out the same tick
        self.batch = 100  # sends per tick at most, so jobs and shutdown get their turn

    async def run_once(self, now: datetime | None = None) -> int:
        """Run the jobs, then send what is due now (by the clock, unless given); returns
        how many sends were tried."""
        now = self.clock() if now is None else now
        for job in self.jobs:
            await job(now)
        await take_back_lost(now)
        tried = 0
        while tried < self.batch and (row := await take_next(now)) is not None:
            tried += 1
            sender = self.senders.get(row.channel)
            verdict = await self.gate.at_send(row, now)
            if verdict is not None and verdict.until is not None:
                await defer(row, verdict.until)  # quiet hours: waits for the morning
                continue
            if verdict is not None:
                delivery = Delivery("cancelled", error=verdict.cancel)
            elif sender is None:
                delivery = Delivery("failed", error=f"the {row.channel} channel is not configured")
            else:
                template = None
                if row.content_sid is not None:
                    template = ApprovedTemplate(row.content_sid, row.content_variables or {})
                delivery = await sender.send_text(
                    row.address, row.body, now, template, media_url=row.media_url,
                    buttons=row.keyboard,
                )  # fmt: skip
            now = self.clock()
            if delivery.status == "retry" and delivery.maybe_sent and row.kind == MARKETING:
                delivery = Delivery("unknown", error=f"{UNKNOWN} ({delivery.error})")
            if delivery.status == "retry":
                await retry_later(row, now, delivery.error or "try again")
                continue
            async with in_transaction():  # the outbox and the log say the same, always
                if not await finish(row, delivery.status, now, delivery.error):
                    continue  # reclaimed meanwhile: the other claim records the end
                status = delivery.provider_status if delivery.status == "sent" else delivery.status
                if row.message_id is None:  # queued in a batch: logged now, as it ended
                    await log_sent(
                        row.customer_id, row.channel, row.body, now, status,
                        provider_id=delivery.provider_id, error_code=delivery.error_code,
                        error=delivery.error,
                    )  # fmt: skip
                else:
                    await record_send(
                        row.message_id, status, provider_id=delivery.provider_id,
                        error_code=delivery.error_code, error=delivery.error,
                    )  # fmt: skip
        return tried
