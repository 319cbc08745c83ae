"""Work the service does on its own, run by the ticker (``scheduler.ticker``): plain
async functions taking ``now``, so tests can stand anywhere in time."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from bot.conversation.payment import payment_how
from crm_core.customers.records import reachable_chat
from crm_core.errors import InputError
from crm_core.models import Order, Reminder
from crm_core.outreach.contact_policy import Rules, Service
from crm_core.outreach.outbox import enqueue
from crm_core.sales.orders import change_status, due_for_cancel, due_for_reminder, mark_reminded
from crm_core.shop import ShopFile
from crm_core.staff.agents import agent_address
from crm_core.staff.reminders import due_reminders
from crm_core.staff.tickets import close_quiet, who_to_tell
from message_templates import Texts
from scheduler.ticker import Every, Ticker


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
            await enqueue(
                *address, text, now, service=Service.STAFF, dedupe_key=f"reminder:{reminder.id}"
            )
            released += 1
    return released


async def end_quiet_handoffs(shop: ShopFile, now: datetime) -> int:
    """Hand-offs with no message either way for the shop's ``handoff_timeout`` end: the
    customer's next message is the bot's again. Nobody is messaged: a note a day later
    would only puzzle the customer, and the ticket shows how it ended."""
    async with in_transaction():
        return len(await close_quiet(now, shop.orders.handoff_timeout))


async def chase_unpaid_orders(
    texts: Texts, shop: ShopFile, now: datetime, rules: Rules | None = None
) -> tuple[int, int]:
    """Unpaid orders, by the shop's ``[orders]`` rules: one payment reminder after
    ``remind_unpaid_after``, then a cancel after ``cancel_unpaid_after`` (stock
    released), each told to the customer through the outbox as a service message about
    their own order, held until morning in quiet hours. An order whose payment was
    claimed, or whose shipping the team has not set, waits for the team instead.
    Returns (reminded, cancelled)."""
    wait = (rules or Rules()).quiet_until(now)
    orders = shop.orders
    reminded = cancelled = 0
    remind, cancel = orders.remind_unpaid_after, orders.cancel_unpaid_after
    if remind is not None:
        for order in await due_for_reminder(now, remind):
            async with in_transaction():
                if not await mark_reminded(order, now):
                    continue
                cancel_at = None
                if cancel is not None:  # a reminder sent late moves the cancel with it
                    cancel_at = max(order.updated_at + cancel, now + (cancel - remind))
                await _tell(
                    texts, order, "payment_reminder", now, f"order:{order.id}:remind", wait=wait,
                    how=payment_how(texts, shop, order.customer), cancel_at=cancel_at,
                )  # fmt: skip
                reminded += 1
    if cancel is not None:
        for order in await due_for_cancel(now, cancel, remind):
            async with in_transaction():
                try:
                    order = await change_status(
                        order.id, "batal", now, by="system", unless_claimed=True
                    )
                except InputError:
                    continue  # paid, claimed or cancelled by someone else, meanwhile
                key = f"order:{order.id}:expired"
                await _tell(texts, order, "order_expired", now, key, wait=wait)
                await _tell_the_team(texts, order, now)
                cancelled += 1
    return reminded, cancelled


async def _tell_the_team(texts: Texts, order: Order, now: datetime) -> None:
    """The customer's agent (or every agent) hears of each automatic cancel."""
    for agent in await who_to_tell(order.customer):
        chat = agent_address(agent)
        if chat is None:
            continue
        text = texts.render(
            "agent_order_expired", agent.language, order=order, customer=order.customer
        )
        key = f"order:{order.id}:expired:agent:{agent.id}"
        await enqueue(*chat, text, now, service=Service.STAFF, dedupe_key=key)


async def _tell(
    texts: Texts,
    order: Order,
    template: str,
    now: datetime,
    key: str,
    *,
    wait: datetime | None,
    **context: object,
) -> None:
    customer = order.customer
    chat = await reachable_chat(customer.id)
    if chat is None:
        return  # no chat to reach them in; the order's status says it all
    text = texts.render(template, customer.language, order=order, customer=customer, **context)
    await enqueue(
        chat.channel, chat.address, text, now, service=Service.ANSWER, customer_id=customer.id,
        dedupe_key=key, not_before=wait,
    )  # fmt: skip


ORDER_JOBS_EVERY = timedelta(minutes=1)  # reminders and timeouts are counted in hours


def add_order_jobs(ticker: Ticker, texts: Texts, shop: ShopFile, rules: Rules) -> None:
    """Chase unpaid orders and end quiet hand-offs, every minute (each run is safe beside
    another instance's: every change is a conditional update)."""

    async def orders(now: datetime) -> None:
        await chase_unpaid_orders(texts, shop, now, rules)
        await end_quiet_handoffs(shop, now)

    ticker.add("order jobs", Every(ORDER_JOBS_EVERY), orders)
