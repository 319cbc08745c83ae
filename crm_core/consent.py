"""Reading a customer's consent: the state that stands, and the history that proves it."""

from __future__ import annotations

from datetime import datetime

from crm_core.agents import audit
from crm_core.models import Agent, ConsentEvent, Customer


async def consent_history(
    customer: Customer, now: datetime, *, agent: Agent | None = None, actor: str = "cli"
) -> list[ConsentEvent]:
    """Every consent given or withdrawn, oldest first; reading it is audited like a card."""
    events = await ConsentEvent.filter(customer_id=customer.id).order_by("at", "id")
    await audit(agent, "customer.consent_view", now, customer_id=customer.id, actor=actor)
    return list(events)


def consent_state(customer: Customer) -> str:
    """One word for where the customer stands: ``opted_out`` (said STOP), ``given``,
    ``refused``, or ``not_asked``."""
    if customer.opted_out_at is not None:
        return "opted_out"
    if customer.consent_marketing is None:
        return "not_asked"
    return "given" if customer.consent_marketing else "refused"
