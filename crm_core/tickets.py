"""Hand-off to a person: a customer's ticket, and who on the team is told about it."""

from __future__ import annotations

from datetime import datetime

from crm_core.agents import audit
from crm_core.errors import InputError
from crm_core.models import Agent, Customer, Ticket

MAX_EXCERPT = 500


async def open_ticket(customer: Customer, reason: str, text: str, now: datetime) -> Ticket | None:
    """A new ticket, or None when the customer already has one open (the team already
    knows; a second alert would only be noise)."""
    if await Ticket.filter(customer_id=customer.id, status="open").exists():
        return None
    return await Ticket.create(
        customer=customer, reason=reason, excerpt=text[:MAX_EXCERPT], opened_at=now
    )


async def who_to_tell(customer: Customer) -> list[Agent]:
    """The customer's agent, or every active agent when nobody handles them."""
    if customer.assigned_agent_id is not None:
        assigned = await Agent.filter(id=customer.assigned_agent_id, active=True).first()
        if assigned is not None:
            return [assigned]
    return list(await Agent.filter(active=True).order_by("id"))


async def open_tickets() -> list[Ticket]:
    return list(
        await Ticket.filter(status="open").order_by("opened_at", "id").prefetch_related("customer")
    )


async def close_ticket(agent: Agent, number: int, now: datetime) -> Ticket:
    ticket = await Ticket.filter(id=number).first()
    if ticket is None:
        raise InputError(f"there is no ticket #{number}")
    if ticket.status == "closed":
        raise InputError(f"ticket #{number} was already closed by {ticket.closed_by}")
    ticket.status, ticket.closed_at, ticket.closed_by = "closed", now, agent.name
    await ticket.save(update_fields=["status", "closed_at", "closed_by"])
    await audit(agent, "ticket.close", now, customer_id=ticket.customer_id, ticket=number)  # type: ignore[attr-defined]
    return ticket
