"""Agents' reminders: set now, delivered to the agent's chat when due."""

from __future__ import annotations

from datetime import datetime

from crm_core.errors import InputError
from crm_core.models import Agent, Customer, Reminder
from crm_core.staff.audit import audit

MAX_NOTE = 1_000


async def add_reminder(
    agent: Agent, customer: Customer, due_at: datetime, note: str, now: datetime
) -> Reminder:
    note = " ".join(note.split())
    if not note:
        raise InputError("reminder_empty")
    if len(note) > MAX_NOTE:
        raise InputError("text_too_long", length=len(note), most=MAX_NOTE)
    reminder = await Reminder.create(
        agent=agent, customer=customer, due_at=due_at, note=note, created_at=now
    )
    await audit(agent, "reminder.add", now, customer_id=customer.id, reminder=reminder.id)
    return reminder


async def due_reminders(now: datetime) -> list[Reminder]:
    return list(
        await Reminder.filter(status="pending", due_at__lte=now)
        .order_by("due_at", "id")
        .prefetch_related("agent", "customer")
        .limit(100)
    )


async def pending_for(agent: Agent) -> list[Reminder]:
    return list(
        await Reminder.filter(agent_id=agent.id, status="pending")
        .order_by("due_at", "id")
        .prefetch_related("customer")
        .limit(20)
    )
