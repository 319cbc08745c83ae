"""An agent's own work: /ingatkan sets a reminder, /tugas shows what waits for them."""

from __future__ import annotations

from tortoise.expressions import Q

from bot.agents.commands import Usage, command, split_reference
from bot.agents.turn import AgentTurn
from crm_core.directory import resolve
from crm_core.models import Agent, Ticket
from crm_core.reminders import add_reminder, pending_for
from crm_core.when import parse_when


@command("ingatkan", "remind")
async def remind(turn: AgentTurn, args: str) -> None:
    """``/ingatkan CUSTOMER: besok 10:00 tanya ukuran``."""
    reference, rest = split_reference(args)
    if not reference or not rest:
        raise Usage
    customer = await resolve(reference)
    due_at, note = parse_when(rest, turn.now, turn.texts.tz)
    reminder = await add_reminder(turn.agent, customer, due_at, note, turn.now)
    turn.say("agent_reminder_set", reminder=reminder, customer=customer)


@command("tugas", "tasks")
async def tasks(turn: AgentTurn, args: str) -> None:
    reminders = await pending_for(turn.agent)
    tickets = list(
        await Ticket.filter(status="open", customer__assigned_agent_id=turn.agent.id)
        .order_by("opened_at")
        .prefetch_related("customer")
    )
    # Nobody handles them: never assigned, or assigned to someone who has left.
    gone = list(await Agent.filter(active=False).values_list("id", flat=True))
    unassigned = list(
        await Ticket.filter(status="open")
        .filter(
            Q(customer__assigned_agent_id__isnull=True) | Q(customer__assigned_agent_id__in=gone)
        )
        .order_by("opened_at")
        .prefetch_related("customer")
    )
    turn.say("agent_tasks", reminders=reminders, tickets=tickets, unassigned=unassigned)
