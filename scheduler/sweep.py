"""One sweep: every campaign, as of ``now``. Who is due is read through indexed columns
(order dates, the customer's running figures), so the cost follows the number due, not
the number of customers. Each message passes the contact policy and goes into the outbox
with the campaign's dedupe key, so a customer gets a campaign's message once per
triggering event, across restarts and instances.

The due are taken a batch at a time: each batch costs a fixed handful of statements (who
was already sent, tags, chats, the claims, the queueing), not a handful per customer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crm_core.insight.segments import segment_of
from crm_core.models import Conversation, Customer, CustomerTag, Order, OutboxMessage
from crm_core.outreach.contact_policy import Candidate, Gate, Permit, Refusal, Rules
from crm_core.outreach.outbox import Queued, enqueue_many
from message_templates import Texts
from message_templates.error_texts import phrase
from scheduler import winback
from scheduler.campaigns import Campaign

log = logging.getLogger(__name__)

# How far back a trigger is still honoured when sweeps were missed (a stopped service);
# a win-back has none: a customer stays dormant until they order again.
SLACK = timedelta(days=7)
# No win-back for someone who is talking to us.
TALKING = timedelta(days=7)
BATCH = 500
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class Why:
    """Why a due customer was held: a code (its words are ``held_<code>`` in each
    language's ``cli.toml``) and its values; times are UTC, shown in the shop's zone by
    whoever prints them."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)
    then: Why | None = None  # the cooldown still running after "already sent"

    def words(self, lang: str, tz: ZoneInfo) -> str:
        shown = {
            k: v.astimezone(tz).strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v
            for k, v in self.values.items()
        }
        text = phrase(f"held_{self.code}", lang, **shown)
        return f"{text}; {self.then.words(lang, tz)}" if self.then else text


@dataclass(frozen=True)
class Outcome:
    campaign: str
    customer_id: int
    customer: str
    status: str  # queued, would_send, held, waiting (queued by an earlier sweep, unsent)
    reason: Why | None = None
    channel: str | None = None
    key: str | None = None  # the outbox's dedupe key of its message, once queued

    def why(self, lang: str = "en", tz: ZoneInfo = UTC_ZONE) -> str:
        """The reason as a person reads it (English and UTC unless told otherwise)."""
        return self.reason.words(lang, tz) if self.reason else ""


@dataclass(frozen=True)
class Due:
    customer: Customer
    key: str  # the dedupe key: (campaign, customer, trigger)
    context: dict[str, Any]


@dataclass
class _Sweep:
    """What one sweep shares between its batches."""

    now: datetime
    gate: Gate
    texts: Texts
    dry_run: bool
    suggestions: dict[frozenset[str], str | None] = field(default_factory=dict)


async def sweep(
    now: datetime, campaigns: list[Campaign], rules: Rules, texts: Texts, *, dry_run: bool = False
) -> list[Outcome]:
    run = _Sweep(now, Gate(rules), texts, dry_run)
    outcomes: list[Outcome] = []
    for campaign in _longest_winback_first(campaigns):
        left = await winback.allowance(campaign, now)
        async for batch in _due(campaign, run, left):
            done = await _batch(campaign, batch, run)
            outcomes.extend(done)
            if left is not None:
                left.spend(sum(o.status in ("queued", "would_send") for o in done))
            if campaign.kind == "winback" and run.gate.quiet_until(now) is not None:
                # All of them wait for the morning: one page says so, without reading
                # every dormant customer at each sweep of the night.
                break
    return outcomes


def _longest_winback_first(campaigns: list[Campaign]) -> list[Campaign]:
    """The campaigns in their file's order, but win-backs longest first: someone quiet
    for 200 days is sent the 180-day message, not the 60-day one and then that."""
    winbacks = iter(sorted((c for c in campaigns if c.kind == "winback"), key=lambda c: -c.every))
    return [next(winbacks) if c.kind == "winback" else c for c in campaigns]


@dataclass(frozen=True)
class _Ready:
    due: Due
    chat: Conversation
    body: str
    content: tuple[str, dict[str, str]] | None = None  # WhatsApp's approved template


async def _batch(campaign: Campaign, batch: list[Due], run: _Sweep) -> list[Outcome]:
    """Check a batch of due customers, then claim and queue those who may hear from us.
    A race with another instance over the same event rolls the batch back; it is then
    checked again, and that event is found already queued."""
    for _ in range(3):
        try:
            return await _try_batch(campaign, batch, run)
        except IntegrityError:
            log.info("campaign %s: another instance queued part of a batch; again", campaign.name)
    return await _try_batch(campaign, batch, run)


async def _try_batch(campaign: Campaign, batch: list[Due], run: _Sweep) -> list[Outcome]:
    now, ids = run.now, list({d.customer.id for d in batch})
    outcomes: dict[int, Outcome] = {}  # by position in the batch

    def held(i: int, reason: Why, channel: str | None = None) -> None:
        c = batch[i].customer
        outcomes[i] = Outcome(campaign.name, c.id, _name(c), "held", reason, channel)

    # This event's message, where one was queued before: how it ended, or that it waits.
    earlier = {
        key: (status, error)
        for key, status, error in await OutboxMessage.filter(
            dedupe_key__in=[d.key for d in batch]
        ).values_list("dedupe_key", "status", "error")
    }
    tagged: set[int] = set()
    if campaign.tag:
        tagged = {
            int(cid)  # type: ignore[call-overload]
            for cid in await CustomerTag.filter(customer_id__in=ids, name=campaign.tag).values_list(
                "customer_id", flat=True
            )
        }
    segments = await segment_of(ids, now) if campaign.segment else {}
    chats = await _reachable_chats(ids)
    quiet = run.gate.quiet_until(now)
    ready: dict[int, _Ready] = {}
    for i, due in enumerate(batch):
        c, chat = due.customer, chats.get(due.customer.id)
        if due.key in earlier:
            # Said with the cooldown it started, when that still runs: who, until when.
            active = run.gate.cooldown(c, now)
            status, error = earlier[due.key]
            why = _earlier(status, error, _why(active) if active else None)
            if status in WAITING:  # queued before and not sent yet: it goes out now
                channel = chat.channel if chat is not None else None
                outcomes[i] = Outcome(
                    campaign.name, c.id, _name(c), "waiting", why, channel, due.key
                )
            else:
                held(i, why)
        elif campaign.tag and c.id not in tagged:
            held(i, Why("no_tag", {"tag": campaign.tag}))
        elif campaign.segment and segments.get(c.id) != campaign.segment:
            held(i, Why("not_in_segment", {"wanted": campaign.segment, "now": segments.get(c.id)}))
        elif campaign.kind == "winback" and c.last_inbound_at and c.last_inbound_at > now - TALKING:
            held(i, Why("talking"))
        elif chat is None or chat.last_inbound_at is None:
            held(i, Why("unreachable"))
        elif (
            run.gate.needs_template(chat.channel, chat.last_inbound_at, now)
            and run.texts.whatsapp_content(campaign.template, c.language) is None
        ):
            held(i, Why("needs_template"), chat.channel)
        elif quiet is not None:
            held(i, Why("quiet_hours", {"until": quiet}), chat.channel)
        else:
            try:
                ready[i] = _render(campaign, due, chat, run)
            except Exception as exc:  # one bad row never stops the rest of the sweep
                log.error("campaign %s, customer %s: %s", campaign.name, c.id, type(exc).__name__)
                held(i, Why("error", {"kind": type(exc).__name__}), chat.channel)
    if campaign.kind == "winback" and not run.dry_run:
        # Sent for this spell before (by an earlier version, or another instance just
        # now): noted on the customer, so later sweeps pass them over in the index.
        again = [
            batch[i].customer.id
            for i, o in outcomes.items()
            if o.reason and o.reason.code in ("already_sent", *EARLIER.values())
        ]
        await _won_back(again, campaign)
    if ready:
        answers = await _decide(campaign, ready, run)
        for i, item in ready.items():
            c = item.due.customer
            if (refusal := answers[i]) is not None:
                held(i, _why(refusal), item.chat.channel)
            else:
                status = "would_send" if run.dry_run else "queued"
                outcomes[i] = Outcome(
                    campaign.name, c.id, _name(c), status, None, item.chat.channel, item.due.key
                )
    return [outcomes[i] for i in range(len(batch))]


def _render(campaign: Campaign, due: Due, chat: Conversation, run: _Sweep) -> _Ready:
    """The message's text, and on WhatsApp its approved template too where the shop has
    one: the chat's window may close before the message goes (a quiet-hour wait, a
    retry), and then only the template may be sent."""
    c = due.customer
    context = {"customer": c, **due.context}
    body = run.texts.render(campaign.template, c.language, **context)
    content = None
    if chat.channel == "whatsapp":
        approved = run.texts.whatsapp_content(campaign.template, c.language)
        if approved is not None:
            content = (approved.sid, approved.values(context))
    return _Ready(due, chat, body, content)


async def _decide(
    campaign: Campaign, ready: dict[int, _Ready], run: _Sweep
) -> dict[int, Refusal | None]:
    """The contact policy's answer for each message ready to go; unless this is a dry
    run, the granted ones are claimed and queued, together or not at all."""
    customers = {item.due.customer.id: item.due.customer for item in ready.values()}
    if run.dry_run:
        answers = await run.gate.would_refuse_many(list(customers.values()), run.now)
        return _once_each(ready, answers, campaign, run)
    async with in_transaction():
        by = f"campaign:{campaign.name}"
        candidates = [
            Candidate(
                item.due.customer.id,
                item.chat.channel,
                item.chat.address,
                *(item.content or (None, None)),
            )
            for item in ready.values()
        ]
        permits = await run.gate.permit_many(candidates, by, campaign.name, run.now)
        refusals = {cid: None if isinstance(p, Permit) else p for cid, p in permits.items()}
        decided = _once_each(ready, refusals, campaign, run)
        queued = [
            Queued(permit, item.body, item.due.key)
            for i, item in ready.items()
            if decided[i] is None and isinstance(permit := permits[item.due.customer.id], Permit)
        ]
        await enqueue_many(queued, run.now)
        if campaign.kind == "winback":
            await _won_back(
                [item.due.customer.id for i, item in ready.items() if decided[i] is None], campaign
            )
    return decided


async def _won_back(customer_ids: list[int], campaign: Campaign) -> None:
    if customer_ids:
        await Customer.filter(id__in=customer_ids, winback_days__lt=campaign.every).update(
            winback_days=campaign.every
        )


def _once_each(
    ready: dict[int, _Ready], answers: dict[int, Refusal | None], campaign: Campaign, run: _Sweep
) -> dict[int, Refusal | None]:
    """A customer due twice in one batch (two orders on one day) gets the first message;
    the second meets the cooldown the first just started."""
    first: dict[int, int] = {}
    decided: dict[int, Refusal | None] = {}
    for i, item in ready.items():
        cid = item.due.customer.id
        if answers[cid] is None and cid in first:
            until = run.now + run.gate.rules.cooldown
            decided[i] = Refusal(
                "cooldown", by=f"campaign:{campaign.name}", at=run.now, until=until
            )
        else:
            decided[i] = answers[cid]
            first.setdefault(cid, i)
    return decided


async def _reachable_chats(customer_ids: list[int]) -> dict[int, Conversation]:
    """Each customer's Telegram or WhatsApp chat they wrote in last: where the shop
    reaches them (a terminal chat cannot be reached)."""
    chats: dict[int, Conversation] = {}
    found = (
        await Conversation.filter(customer_id__in=customer_ids, last_inbound_at__isnull=False)
        .exclude(channel="terminal")
        .order_by("last_inbound_at", "id")
    )
    for chat in found:
        chats[chat.customer_id] = chat  # the latest wins
    return chats


def _name(c: Customer) -> str:
    return c.name or c.display_name or f"#{c.id}"


# An event's message queued before, by how it stands: still to go, or how it ended.
WAITING = ("pending", "sending")
EARLIER = {
    "pending": "waiting",
    "sending": "waiting",
    "unknown": "send_unknown",
    "failed": "send_failed",
    "needs_template": "send_failed",
    "cancelled": "send_cancelled",
}


def _earlier(status: str, error: str | None, cooldown: Why | None) -> Why:
    """Why an event's message is not queued again: sent already (delivered, read), still
    waiting to go, or ended some other way; never "sent" for what has not gone."""
    code = EARLIER.get(status, "already_sent")
    values = {"error": error} if code == "send_failed" else {}
    return Why(code, values, then=cooldown)


def _why(refusal: Refusal) -> Why:
    """The contact policy's refusal (blacklisted, opted_out, no_consent, cooldown,
    weekly_cap), with who last contacted them and until when, where it says."""
    if refusal.until is None or refusal.at is None:
        return Why(refusal.reason)
    return Why(refusal.reason, {"by": refusal.by, "at": refusal.at, "until": refusal.until})


async def _due(
    campaign: Campaign, run: _Sweep, left: winback.Allowance | None
) -> AsyncIterator[list[Due]]:
    """The customers due this campaign's message, a batch at a time, each batch read by
    id after the last one (so a batch costs the same at the end of the list as at the
    start)."""
    now, live = run.now, {"merged_into_id__isnull": True}
    if campaign.kind == "nurture":
        edge = now - timedelta(days=campaign.every)
        orders = Order.filter(created_at__lte=edge, created_at__gt=edge - SLACK).exclude(
            status="batal"
        )
        async for page in _pages(orders, ("customer", "items")):
            yield [Due(o.customer, f"{campaign.name}:order:{o.id}", {"order": o}) for o in page]
    elif campaign.kind == "winback":
        # However long ago the last order was; once per dormant spell (the key names
        # the spell's last order), at most the campaign's daily limit a day.
        size = (lambda: left.page(BATCH)) if left is not None else (lambda: BATCH)
        async for page in winback.dormant(campaign, now, size):
            contexts = await winback.contexts(page, run.suggestions)
            yield [
                Due(
                    c,
                    f"{campaign.name}:{c.id}:{c.last_order_at:%Y%m%d%H%M%S}",
                    {**contexts[c.id], "voucher": campaign.voucher},
                )
                for c in page
            ]
    elif campaign.kind == "loyalty":
        loyal = Customer.filter(
            **live, orders_count__gte=campaign.every, last_order_at__gt=now - SLACK
        )
        async for page in _pages(loyal):
            # Their real count: the Nth order's message may have been held past later ones.
            nth = campaign.every
            yield [Due(c, f"{campaign.name}:{c.id}:{nth}", {"nth": c.orders_count}) for c in page]
    else:  # unfinished: an order started and left
        edge = now - timedelta(hours=campaign.every)
        chats = Conversation.filter(
            state__startswith="order_", updated_at__lte=edge, updated_at__gt=edge - SLACK
        )
        async for page in _pages(chats, ("customer",)):
            yield [Due(chat.customer, _left_key(campaign, chat), {}) for chat in page]


def _left_key(campaign: Campaign, chat: Conversation) -> str:
    # Once per time the order was left: a later unfinished order is a new event.
    return f"{campaign.name}:{chat.id}:{chat.updated_at:%Y%m%d%H%M%S}"


async def _pages(query: Any, related: tuple[str, ...] = ()) -> AsyncIterator[list[Any]]:
    after = 0
    while True:
        page = (
            await query.filter(id__gt=after).order_by("id").limit(BATCH).prefetch_related(*related)
        )
        if not page:
            return
        yield page
        if len(page) < BATCH:
            return
        after = page[-1].id
