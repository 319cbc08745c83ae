"""An agent's own work: /ingatkan sets a reminder, /tugas shows what waits for them,
/notif mutes or brings back the news of orders and tickets."""

from __future__ import annotations

from datetime import timedelta

from tortoise.expressions import Q

from bot.agents.commands import Usage, customer_and_text
from bot.agents.turn import AgentTurn
from crm_core.errors import InputError
from crm_core.models import Agent, Customer, Order, OutboxMessage, Ticket
from crm_core.outreach.contact_policy import MARKETING
from crm_core.staff.audit import audit
from crm_core.staff.reminders import add_reminder, pending_for
from crm_core.staff.tickets import DATA_REQUESTS, conversations
from crm_core.staff.time_words import parse_when


async def remind(turn: AgentTurn, args: str) -> None:
    """``/ingatkan CUSTOMER: besok 10:00 tanya ukuran``."""
    customer, rest = await customer_and_text(args)
    if not rest:
        raise Usage
    due_at, note = parse_when(rest, turn.now, turn.texts.tz)
    reminder = await add_reminder(turn.agent, customer, due_at, note, turn.now)
    turn.say("agent_reminder_set", reminder=reminder, customer=customer)


LISTED = 15  # of each kind; the rest is counted


async def tasks(turn: AgentTurn, args: str) -> None:
    """What waits for this agent: payments to check, shipping to work out, orders to
    ship, customers waiting for a person, and their reminders. Their own customers and
    those nobody handles (never assigned, or their agent left)."""
    gone: list[int] = list(await Agent.filter(active=False).values_list("id", flat=True))  # type: ignore[arg-type]
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
    unsure = await cut_off(turn, gone)
    turn.say(
        "agent_tasks", reminders=reminders, tickets=tickets, unassigned=unassigned,
        to_check=to_check, to_price=to_price, to_ship=to_ship, requests=requests,
        unsure=unsure,
    )  # fmt: skip


# An offer whose send was cut off is worth a person's look for a few days, not for ever.
UNSURE_FOR = timedelta(days=3)


async def cut_off(turn: AgentTurn, gone: list[int]) -> list[tuple[OutboxMessage, Customer]]:
    """Offers (a campaign's, a /kirim) whose send a crash cut off: they may or may not
    have arrived, so nothing sends them again unless a person says so (/kirimulang)."""
    rows = (
        await OutboxMessage.filter(
            status="unknown", kind=MARKETING, next_attempt_at__gte=turn.now - UNSURE_FOR
        )
        .order_by("next_attempt_at", "id")
        .limit(LISTED)
    )
    ids = [r.customer_id for r in rows if r.customer_id is not None]
    customers = {c.id: c for c in await Customer.filter(_theirs_q(turn, gone), id__in=ids)}
    return [(r, customers[r.customer_id]) for r in rows if r.customer_id in customers]


def _theirs_q(turn: AgentTurn, gone: list[int]) -> Q:
    """This agent's customers, and nobody's (never assigned, or their agent left)."""
    return (
        Q(assigned_agent_id=turn.agent.id)
        | Q(assigned_agent_id__isnull=True)
        | Q(assigned_agent_id__in=gone)
    )


async def _theirs(turn: AgentTurn, customer_id: int | None) -> bool:
    gone: list[int] = list(await Agent.filter(active=False).values_list("id", flat=True))  # type: ignore[arg-type]
    return await Customer.filter(_theirs_q(turn, gone), id=customer_id).exists()


async def resend(turn: AgentTurn, args: str) -> None:
    """``/kirimulang 12``: an offer /tugas lists as cut off goes again, as an agent
    decided after checking it did not arrive (still not to a customer who said STOP
    since, nor in quiet hours)."""
    number = args.strip().lstrip("#")
    if not number.isdecimal():
        raise Usage
    row = await OutboxMessage.filter(
        id=int(number), status="unknown", kind=MARKETING,
        next_attempt_at__gte=turn.now - UNSURE_FOR,
    ).first()  # fmt: skip
    # One /tugas lists for this agent: their own customer's, or nobody's (an admin: any).
    if row is None or not (turn.agent.is_admin or await _theirs(turn, row.customer_id)):
        raise InputError("resend_not_found", reference=f"#{number}")
    await OutboxMessage.filter(id=row.id, status="unknown").update(
        status="pending", error=None, next_attempt_at=turn.now
    )
    await audit(turn.agent, "outbox.resend", turn.now, customer_id=row.customer_id, message=row.id)
    customer = await Customer.get(id=row.customer_id)
    turn.say("agent_done", action="resend", customer=customer)


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
