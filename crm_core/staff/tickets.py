"""Hand-off to a person: a customer's ticket, and who on the team is told about it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from crm_core.errors import InputError
from crm_core.models import Agent, Customer, Ticket
from crm_core.staff.audit import audit

MAX_EXCERPT = 500
# The outbox keys of a ticket's notice and of each message relayed for it begin so,
# then the ticket's number: an agent's reply to one of them is matched to its ticket by
# the row the bot sent, never by words in the message (a customer could have typed
# them).
NOTICE, RELAY = "ticket:", "relay:"


# A customer's data request is a ticket too, but an agent approves it: not a chat.
DATA_REQUESTS = ("data_access", "data_erasure")


def conversations() -> Any:
    """Open tickets that are a conversation with a person (not a data request)."""
    return Ticket.filter(status="open").exclude(reason__in=DATA_REQUESTS)


async def open_ticket(customer: Customer, reason: str, text: str, now: datetime) -> Ticket | None:
    """A new ticket, or None when the customer already has one open (the team already
    knows; a second alert would only be noise)."""
    if await conversations().filter(customer_id=customer.id).exists():
        return None
    return await Ticket.create(
        customer=customer, reason=reason, excerpt=text[:MAX_EXCERPT], opened_at=now,
        last_message_at=now,
    )  # fmt: skip


async def current_ticket(customer_id: int) -> Ticket | None:
    """The customer's open conversation with the team, if any."""
    return await conversations().filter(customer_id=customer_id).select_related("handler").first()


async def take(ticket: Ticket, agent: Agent, now: datetime) -> bool:
    """The first agent to answer a ticket handles it: one conditional update, so two
    agents answering at once cannot both take it. True when ``agent`` took it now."""
    won = await Ticket.filter(id=ticket.id, status="open", handler_id=None).update(
        handler_id=agent.id, last_message_at=now
    )
    if won:
        ticket.handler = agent
        await audit(agent, "ticket.take", now, customer_id=ticket.customer_id, ticket=ticket.id)  # type: ignore[attr-defined]
        return True
    await Ticket.filter(id=ticket.id).update(last_message_at=now)
    return False


async def touch(ticket_id: int, now: datetime) -> None:
    """A message went either way: the hand-off's quiet clock starts again."""
    await Ticket.filter(id=ticket_id).update(last_message_at=now)


def gone_quiet(ticket: Ticket, now: datetime, quiet: timedelta) -> bool:
    """No message either way for ``quiet``: the bot takes the chat again."""
    last = ticket.last_message_at or ticket.opened_at
    return now - last >= quiet


async def close_quiet(now: datetime, quiet: timedelta) -> list[Ticket]:
    """Close the answered conversations with no message either way for ``quiet``. One
    nobody answered stays open in /tugas and /tiket (the customer's next message goes
    to the bot meanwhile, see ``gone_quiet``). Each closed by one conditional update, so
    two instances never close one twice."""
    closed = []
    stale = (
        await conversations()
        .filter(last_message_at__lt=now - quiet, handler_id__not_isnull=True)
        .order_by("id")
    )
    for ticket in stale:
        won = await Ticket.filter(id=ticket.id, status="open").update(
            status="closed", closed_at=now, closed_by="timeout"
        )
        if won:
            ticket.status, ticket.closed_at, ticket.closed_by = "closed", now, "timeout"
            closed.append(ticket)
    return closed


async def who_to_tell(customer: Customer, *, notice: bool = True) -> list[Agent]:
    """Who hears of this customer's news: their agent, or every active agent when nobody
    handles them. A ``notice`` (a new order, a payment, a cancel) leaves out an agent
    who muted them (``/notif off``; /tugas still lists it all); a customer waiting for
    a person is never muted, or nobody would hear them."""
    if customer.assigned_agent_id is not None:
        assigned = await Agent.filter(id=customer.assigned_agent_id, active=True).first()
        if assigned is not None:
            return [assigned] if assigned.notify or not notice else []
    everyone = Agent.filter(active=True)
    return list(await (everyone.filter(notify=True) if notice else everyone).order_by("id"))


async def open_tickets() -> list[Ticket]:
    return list(
        await Ticket.filter(status="open").order_by("opened_at", "id").prefetch_related("customer")
    )


async def close_ticket(agent: Agent, number: int, now: datetime) -> Ticket:
    ticket = await Ticket.filter(id=number).first()
    if ticket is None:
        raise InputError("ticket_not_found", id=number)
    if ticket.status == "closed":
        raise InputError("ticket_closed_already", id=number, by=ticket.closed_by)
    won = await Ticket.filter(id=ticket.id, status="open").update(
        status="closed", closed_at=now, closed_by=agent.name
    )
    if not won:
        raise InputError("ticket_closed_meanwhile", id=number)
    ticket.status, ticket.closed_at, ticket.closed_by = "closed", now, agent.name
    await audit(agent, "ticket.close", now, customer_id=ticket.customer_id, ticket=number)  # type: ignore[attr-defined]
    return ticket
