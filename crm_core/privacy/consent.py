"""Reading a customer's consent: the state that stands, and the history that proves it."""

from __future__ import annotations

from datetime import datetime

from crm_core.customers.records import record_consent
from crm_core.errors import InputError
from crm_core.models import Agent, ConsentEvent, Customer
from crm_core.staff.audit import audit

MAX_WORDING = 1_000


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


async def record_agent_consent(
    agent: Agent, customer: Customer, given: bool, wording: str, channel: str, now: datetime
) -> None:
    """An agent records an answer the customer gave them (on the phone, in the shop). The
    proof is what the customer was asked or said, in the agent's words, and who wrote it."""
    wording = " ".join(wording.split())
    if not wording:
        raise InputError("consent_wording_missing")
    if customer.erased_at is not None:
        raise InputError("customer_erased", id=customer.id)
    await record_consent(
        customer, given, wording[:MAX_WORDING], channel, now, by=f"agent:{agent.name}"
    )
    customer.updated_at = now
    await customer.save(
        update_fields=["consent_marketing", "consent_at", "consent_text", "consent_channel",
                       "updated_at"]
    )  # fmt: skip
    await audit(agent, "consent.record", now, customer_id=customer.id, given=given)
