"""Work the service does on its own, on each tick of the dispatcher: plain async
functions taking ``now``, so tests can stand anywhere in time."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from crm_core.agents import agent_address
from crm_core.models import Reminder
from crm_core.outbox import enqueue
from crm_core.reminders import due_reminders
from crm_core.shop import ShopFile
from crm_core.tickets import close_quiet
from message_templates import Texts


async def release_due_reminders(texts: Texts, now: datetime) -> int:
    """Each due reminder becomes one message to its agent's chat. Marking it sent and
    queueing the message happen together, and only for the instance whose conditional
    update wins, so two instances never deliver one reminder twice."""
    released = 0
    for reminder in await due_reminders(now):
        agent = reminder.agent
        address = agent_address(agent) if agent.active else None
        async with in_transaction():
            # A removed agent's reminders end with them; nobody else gets their notes.
            status = "sent" if address is not None else "cancelled"
            won = await Reminder.filter(id=reminder.id, status="pending").update(status=status)
            if not won or address is None:
                continue
            text = texts.render(
                "agent_reminder", agent.language, reminder=reminder, customer=reminder.customer
            )
            await enqueue(*address, text, now, kind="staff", dedupe_key=f"reminder:{reminder.id}")
            released += 1
    return released


async def end_quiet_handoffs(shop: ShopFile, now: datetime) -> int:
    """Hand-offs with no message either way for the shop's ``handoff_timeout`` end: the
    customer's next message is the bot's again. Nobody is messaged: a note a day later
    would only puzzle the customer, and the ticket shows how it ended."""
    async with in_transaction():
        return len(await close_quiet(now, shop.orders.handoff_timeout))
