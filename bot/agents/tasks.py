"""An agent's own work: /ingatkan sets a reminder, /tugas shows what waits for them,
/notif mutes or brings back the news of orders and tickets."""

from __future__ import annotations

from tortoise.expressions import Q

from bot.agents.commands import Usage, command, customer_and_text
from bot.agents.turn import AgentTurn
from crm_core.agents import audit
from crm_core.models import Agent, Order, Ticket
from crm_core.reminders import add_reminder, pending_for
from crm_core.tickets import DATA_REQUESTS, conversations
from crm_core.when import parse_when


@command("ingatkan", "remind")
async def remind(turn: AgentTurn, args: str) -> None:
    """``/ingatkan CUSTOMER: besok 10:00 tanya ukuran``."""
    customer, rest = await customer_and_text(args)
    if not rest:
        raise Usage
    due_at, note = parse_when(rest, turn.now, turn.texts.tz)
    reminder = await add_reminder(turn.agent, customer, due_at, note, turn.now)
    turn.say("agent_reminder_set", reminder=reminder, customer=customer)


LISTED = 15  # of each kind; the rest is counted


@command("tugas", "tasks")
async def tasks(turn: AgentTurn, args: str) -> None:
    """What waits for this agent: payments to check, shipping to work out, orders to
    ship, customers waiting for a person, and their reminders. Their own customers and
    those nobody handles (never assigned, or their agent left)."""
    gone = list(await Agent.filter(active=False).values_list("id", flat=True))
    nobodys = Q(customer__assigned_agent_id__isnull=True) | Q(customer__assigned_agent_id__in=gone)
    mine = Q(customer__assigned_agent_id=turn.agent.id) | nobodys

    async def orders(query: Q) -> tuple[list[Order], int]:
        found = Order.filter(mine).filter(query).order_by("created_at", "id")
        return list(await found.limit(LISTED).prefetch_related("customer")), await found.count()

    to_check = await orders(Q(status="baru", payment_claimed_at__isnull=False))
    to_price = await orders(Q(status="baru", shipping_fee__isnull=True))
    to_ship = await orders(Q(status="dibayar"))
    reminders = await pending_for(turn.agent)
    waiting = conversations().prefetch_related("customer").order_by("opened_at")
    tickets = list(
        await waiting.filter(
            Q(handler_id=turn.agent.id) | Q(customer__assigned_agent_id=turn.agent.id)
        )
    )
    unassigned = list(await waiting.filter(handler_id=None).filter(nobodys))
    # Data requests have a legal deadline: every agent sees them until one is carried out.
    requests = list(
        await Ticket.filter(status="open", reason__in=DATA_REQUESTS)
        .order_by("opened_at")
        .prefetch_related("customer")
    )
    turn.say(
        "agent_tasks", reminders=reminders, tickets=tickets, unassigned=unassigned,
        to_check=to_check, to_price=to_price, to_ship=to_ship, requests=requests,
    )  # fmt: skip


@command("notif", "notify")
async def notify(turn: AgentTurn, args: str) -> None:
    """``/notif off``: no news of new orders, payments, cancels or tickets in this chat
    (/tugas still lists them, and a customer this agent talks to still reaches them);
    ``/notif on`` brings it back."""
    word = args.strip().casefold()
    if word not in ("on", "off", "nyala", "mati"):
        turn.say("agent_notify", on=turn.agent.notify, usage=True)
        return
    on = word in ("on", "nyala")
    await Agent.filter(id=turn.agent.id).update(notify=on)
    turn.agent.notify = on
    await audit(turn.agent, "agent.notify", turn.now, on=on)
    turn.say("agent_notify", on=on, usage=False)
