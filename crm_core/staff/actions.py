"""What agents do to a customer's record, each written to the audit log with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from crm_core.errors import InputError
from crm_core.models import Agent, Customer, CustomerTag, Message, Note, Order, Ticket
from crm_core.staff.audit import audit

MAX_NOTE = 2_000
MAX_TAG = 40


async def add_note(agent: Agent, customer: Customer, text: str, now: datetime) -> Note:
    body = text.strip()
    if not body:
        raise InputError("note_empty")
    if len(body) > MAX_NOTE:
        raise InputError("text_too_long", length=len(body), most=MAX_NOTE)
    note = await Note.create(
        customer=customer, author=agent.name, agent_id=agent.id, body=body, created_at=now
    )
    await audit(agent, "note.add", now, customer_id=customer.id, note_id=note.id)
    return note


def clean_tag(text: str) -> str:
    tag = "-".join(text.casefold().split()).strip("#")
    if not tag or len(tag) > MAX_TAG:
        raise InputError("tag_length", most=MAX_TAG)
    return tag


async def add_tag(agent: Agent, customer: Customer, text: str, now: datetime) -> str:
    tag = clean_tag(text)
    try:
        await CustomerTag.create(customer=customer, name=tag, created_at=now)
    except IntegrityError:
        return tag  # already tagged: nothing to do, nothing to audit
    await audit(agent, "tag.add", now, customer_id=customer.id, tag=tag)
    return tag


async def remove_tag(agent: Agent, customer: Customer, text: str, now: datetime) -> bool:
    tag = clean_tag(text)
    removed = await CustomerTag.filter(customer_id=customer.id, name=tag).delete()
    if removed:
        await audit(agent, "tag.remove", now, customer_id=customer.id, tag=tag)
    return bool(removed)


async def set_blacklisted(
    agent: Agent, customer: Customer, blacklisted: bool, reason: str, now: datetime
) -> None:
    reason = " ".join(reason.split())
    if blacklisted and not reason:
        raise InputError("blacklist_reason_missing")
    customer.blacklisted = blacklisted
    customer.blacklist_reason = reason[:500] if blacklisted else None  # type: ignore[assignment]
    customer.blacklisted_at = now if blacklisted else None
    customer.updated_at = now
    await customer.save(
        update_fields=["blacklisted", "blacklist_reason", "blacklisted_at", "updated_at"]
    )
    action = "customer.blacklist" if blacklisted else "customer.unblacklist"
    await audit(agent, action, now, customer_id=customer.id, reason=reason[:500])


async def assign(agent: Agent, customer: Customer, now: datetime) -> Agent | None:
    """Assign the customer to ``agent``; returns who had them before, if anyone else."""
    before = (
        await Agent.filter(id=customer.assigned_agent_id).first()
        if customer.assigned_agent_id
        else None
    )
    customer.assigned_agent_id = agent.id
    customer.updated_at = now
    await customer.save(update_fields=["assigned_agent_id", "updated_at"])
    await audit(
        agent, "customer.claim", now, customer_id=customer.id,
        previous_agent_id=before.id if before else None,
    )  # fmt: skip
    return before if before and before.id != agent.id else None


@dataclass(frozen=True)
class Card:
    customer: Customer
    tags: list[str]
    notes: list[Note]
    assigned: Agent | None
    cooldown_until: datetime | None
    tickets: list[Ticket]


async def card(agent: Agent, customer: Customer, now: datetime, cooldown: timedelta) -> Card:
    """Everything an agent needs on one screen; the look-up itself is audited."""
    tags = [t.name for t in await CustomerTag.filter(customer_id=customer.id).order_by("name")]
    notes = await Note.filter(customer_id=customer.id).order_by("-created_at", "-id").limit(5)
    assigned = (
        await Agent.filter(id=customer.assigned_agent_id).first()
        if customer.assigned_agent_id
        else None
    )
    until = customer.last_contacted_at + cooldown if customer.last_contacted_at else None
    tickets = await Ticket.filter(customer_id=customer.id, status="open").order_by("id")
    await audit(agent, "customer.view", now, customer_id=customer.id)
    return Card(
        customer,
        tags,
        list(notes),
        assigned,
        until if until and until > now else None,
        list(tickets),
    )


HISTORY_PAGE = 10  # orders and messages a page: a phone screen's worth


async def history(
    agent: Agent, customer: Customer, now: datetime, page: int = 1
) -> tuple[list[Order], list[Message], int]:
    """A page of the customer's orders and chat, newest first (the chat shown oldest
    first within the page), and how many pages there are."""
    skip = (page - 1) * HISTORY_PAGE
    all_orders = Order.filter(customer_id=customer.id)
    all_messages = Message.filter(customer_id=customer.id)
    orders = (
        await all_orders.order_by("-created_at", "-id")
        .offset(skip)
        .limit(HISTORY_PAGE)
        .prefetch_related("items")
    )
    messages = await all_messages.order_by("-created_at", "-id").offset(skip).limit(HISTORY_PAGE)
    most = max(await all_orders.count(), await all_messages.count())
    await audit(agent, "customer.history", now, customer_id=customer.id, page=page)
    return list(orders), list(reversed(messages)), max(1, -(-most // HISTORY_PAGE))
