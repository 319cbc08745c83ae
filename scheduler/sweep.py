"""One sweep: every campaign, as of ``now``. Who is due is read through indexed columns
(order dates, the customer's running figures), so the cost follows the number due, not
the number of customers. Each message passes the contact policy and goes into the outbox
with the campaign's dedupe key, so a customer gets a campaign's message once per
triggering event, across restarts and instances."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from crm_core.contact_policy import Refusal, Rules, claim, would_refuse
from crm_core.customers import reachable_chat
from crm_core.models import Conversation, Customer, CustomerTag, Order, OrderItem, OutboxMessage
from crm_core.outbox import enqueue
from message_templates import Texts
from scheduler.campaigns import Campaign

log = logging.getLogger(__name__)

# How far back a trigger is still honoured when sweeps were missed (a stopped service).
SLACK = timedelta(days=7)
# No win-back for someone who is talking to us.
TALKING = timedelta(days=7)
# WhatsApp allows free text only within 24 hours of the customer's last message.
WHATSAPP_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Outcome:
    campaign: str
    customer_id: int
    customer: str
    status: str  # queued, would_send, held
    reason: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Due:
    customer: Customer
    key: str  # the dedupe key: (campaign, customer, trigger)
    context: dict[str, Any]


async def sweep(
    now: datetime, campaigns: list[Campaign], rules: Rules, texts: Texts, *, dry_run: bool = False
) -> list[Outcome]:
    outcomes = []
    for campaign in campaigns:
        async for due in _due(campaign, now):
            try:
                outcome = await _one(campaign, due, now, rules, texts, dry_run=dry_run)
            except Exception as exc:  # one bad row never stops the rest of the sweep
                log.error("campaign %s, customer %s: %s", campaign.name, due.customer.id,
                          type(exc).__name__)  # fmt: skip
                outcome = Outcome(campaign.name, due.customer.id, _name(due.customer), "held",
                                  f"error: {type(exc).__name__}")  # fmt: skip
            outcomes.append(outcome)
    return outcomes


async def _one(
    campaign: Campaign, due: Due, now: datetime, rules: Rules, texts: Texts, *, dry_run: bool
) -> Outcome:
    c = due.customer

    def held(reason: str, channel: str | None = None) -> Outcome:
        return Outcome(campaign.name, c.id, _name(c), "held", reason, channel)

    if await OutboxMessage.filter(dedupe_key=due.key).exists():
        return held("already sent for this event")
    if campaign.tag and not await CustomerTag.filter(customer_id=c.id, name=campaign.tag).exists():
        return held(f"no tag {campaign.tag}")
    if campaign.kind == "winback" and c.last_inbound_at and c.last_inbound_at > now - TALKING:
        return held("wrote to us in the last 7 days")
    chat = await reachable_chat(c.id)
    if chat is None or chat.last_inbound_at is None:
        return held("no Telegram or WhatsApp chat to reach them in")
    if chat.channel == "whatsapp" and now - chat.last_inbound_at >= WHATSAPP_WINDOW:
        return held("needs_template: outside WhatsApp's 24-hour window", chat.channel)
    if (morning := rules.quiet_until(now)) is not None:
        return held(f"quiet hours until {morning.isoformat(timespec='minutes')}", chat.channel)
    body = texts.render(campaign.template, c.language, customer=c, **due.context)
    if dry_run:
        refusal = await would_refuse(c, now, rules)
        if refusal is not None:
            return held(_why(refusal), chat.channel)
        return Outcome(campaign.name, c.id, _name(c), "would_send", None, chat.channel)
    try:
        async with in_transaction():
            refusal = await claim(c.id, f"campaign:{campaign.name}", campaign.name, now, rules)
            if refusal is not None:
                return held(_why(refusal), chat.channel)
            await enqueue(chat.channel, chat.address, body, now, kind="marketing",
                          customer_id=c.id, dedupe_key=due.key)  # fmt: skip
    except IntegrityError:  # another instance queued this very event a moment ago
        return held("already sent for this event")
    return Outcome(campaign.name, c.id, _name(c), "queued", None, chat.channel)


def _name(c: Customer) -> str:
    return c.name or c.display_name or f"#{c.id}"


def _why(refusal: Refusal) -> str:
    if refusal.until is None or refusal.at is None:
        return refusal.reason
    at, until = f"{refusal.at:%Y-%m-%d %H:%M}", f"{refusal.until:%Y-%m-%d %H:%M}"
    return f"{refusal.reason}: {refusal.by} at {at} UTC, until {until} UTC"


async def _due(campaign: Campaign, now: datetime) -> AsyncIterator[Due]:
    live = {"merged_into_id__isnull": True}
    if campaign.kind == "nurture":
        edge = now - timedelta(days=campaign.every)
        orders = (
            await Order.filter(created_at__lte=edge, created_at__gt=edge - SLACK)
            .exclude(status="batal")
            .prefetch_related("customer", "items")
        )
        for order in orders:
            yield Due(order.customer, f"{campaign.name}:order:{order.id}", {"order": order})
    elif campaign.kind == "winback":
        edge = now - timedelta(days=campaign.every)
        dormant = await Customer.filter(
            **live, last_order_at__lte=edge, last_order_at__gt=edge - SLACK
        )
        for c in dormant:
            assert c.last_order_at is not None
            context = await _winback_context(c)
            context["voucher"] = campaign.voucher
            yield Due(c, f"{campaign.name}:{c.id}:{c.last_order_at:%Y%m%d%H%M%S}", context)
    elif campaign.kind == "loyalty":
        loyal = await Customer.filter(
            **live, orders_count__gte=campaign.every, last_order_at__gt=now - SLACK
        )
        for c in loyal:
            # Their real count: the Nth order's message may have been held past later ones.
            yield Due(c, f"{campaign.name}:{c.id}:{campaign.every}", {"nth": c.orders_count})
    else:  # unfinished: an order started and left
        edge = now - timedelta(hours=campaign.every)
        chats = await Conversation.filter(
            state__startswith="order_", updated_at__lte=edge, updated_at__gt=edge - SLACK
        ).prefetch_related("customer")
        for chat in chats:
            key = f"{campaign.name}:{chat.id}:{chat.updated_at:%Y%m%d%H%M%S}"
            yield Due(chat.customer, key, {})


async def _winback_context(c: Customer) -> dict[str, Any]:
    """What they bought last, and one recommendation: what customers who bought the same
    also bought, else the shop's best seller."""
    last = (
        await Order.filter(customer_id=c.id).exclude(status="batal").order_by("-created_at").first()
    )
    items = await OrderItem.filter(order_id=last.id) if last else []
    bought = {i.product_id for i in items if i.product_id is not None}  # type: ignore[attr-defined]
    names = {i.product_name for i in items}
    suggestion = None
    if bought:
        # Other customers who bought the same products, and everything they bought.
        buyers = (
            await Order.filter(items__product_id__in=list(bought))
            .exclude(customer_id=c.id)
            .limit(500)
            .values_list("customer_id", flat=True)
        )
        their_orders = (
            await Order.filter(customer_id__in=list(set(buyers)))
            .exclude(status="batal")
            .limit(2000)
            .values_list("id", flat=True)
        )
        suggestion = await _most_bought([int(o) for o in their_orders], names)  # type: ignore[call-overload]
    if suggestion is None:
        suggestion = await _most_bought(None, names)
    return {"bought": sorted(names), "suggestion": suggestion}


async def _most_bought(order_ids: list[int] | None, exclude: set[str]) -> str | None:
    query = OrderItem.all() if order_ids is None else OrderItem.filter(order_id__in=order_ids)
    rows = (
        await query.exclude(product_name__in=list(exclude) or [""])
        .annotate(n=Count("id"))
        .group_by("product_name")
        .order_by("-n", "product_name")
        .limit(1)
        .values_list("product_name", flat=True)
    )
    return str(rows[0]) if rows else None
