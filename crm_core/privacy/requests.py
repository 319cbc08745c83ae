"""A customer's request, made in chat, for a copy of their data or for its erasure: a
ticket the team sees, and an agent's approval that carries it out.

Nothing personal leaves the store on the customer's word alone: the request only opens a
ticket. An agent who knows the customer approves it; then the customer's own chat (the
one the channel vouches is theirs) gets a summary, or the data is erased."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_core.errors import InputError
from crm_core.models import Agent, Customer, Ticket
from crm_core.privacy.data_export import DataSummary, data_summary
from crm_core.privacy.erasure import Erasure, erase_customer
from crm_core.staff.audit import audit
from crm_core.staff.tickets import MAX_EXCERPT

ACCESS = "data_access"
ERASURE = "data_erasure"
KINDS = (ACCESS, ERASURE)


async def open_request(customer: Customer, kind: str, text: str, now: datetime) -> Ticket | None:
    """A new request ticket, or None when the same request is already waiting. Another
    open ticket (a complaint) does not hide this one: the request has a legal deadline."""
    if await Ticket.filter(customer_id=customer.id, status="open", reason=kind).exists():
        return None
    ticket = await Ticket.create(
        customer=customer, reason=kind, excerpt=text[:MAX_EXCERPT], opened_at=now
    )
    await audit(None, f"request.{kind}", now, customer_id=customer.id, ticket=ticket.id)
    return ticket


@dataclass(frozen=True)
class Approved:
    ticket: Ticket
    customer: Customer
    summary: DataSummary | None = None  # access: what to tell them
    erasure: Erasure | None = None


async def approve(agent: Agent, number: int, now: datetime) -> Approved:
    ticket = await Ticket.filter(id=number).select_related("customer").first()
    if ticket is None:
        raise InputError("ticket_not_found", id=number)
    if ticket.reason not in KINDS:
        raise InputError("ticket_not_data_request", id=number)
    if ticket.status != "open":
        raise InputError("ticket_closed_already", id=number, by=ticket.closed_by)
    customer = ticket.customer
    if ticket.reason == ERASURE:
        if not agent.is_admin:
            raise InputError("erasure_admin_only")
        erasure = await erase_customer(
            customer, now, reason=f"asked in chat, ticket #{number}", agent=agent,
            actor=agent.name,
        )  # fmt: skip
        return Approved(ticket, customer, erasure=erasure)
    summary = await data_summary(customer)
    ticket.status, ticket.closed_at, ticket.closed_by = "closed", now, agent.name
    await ticket.save(update_fields=["status", "closed_at", "closed_by"])
    await audit(agent, "customer.access_approved", now, customer_id=customer.id, ticket=number)
    return Approved(ticket, customer, summary=summary)
