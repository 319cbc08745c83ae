"""Two records of one person joined when the number is proven theirs: the later of a
STOP and a MULAI stands, and tags, tickets, reminders and the agent come along."""

from __future__ import annotations

from datetime import timedelta

from bot.conversation.engine import Engine
from crm_core.customers.records import attach_phone
from crm_core.models import ConsentEvent, Customer, CustomerTag, Reminder, Ticket
from crm_core.staff.agents import add_agent
from tests.support.chat import START
from tests.support.people import customer


async def test_after_a_merge_the_last_stop_or_mulai_stands(store: str):
    """The merge kept the latest opt-out time of either record, even when the person
    had said MULAI later on the other one."""
    proven = await Customer.create(
        phone="+6281234567890", phone_verified=True, opted_out_at=START + timedelta(days=1),
        created_at=START, updated_at=START,
    )  # fmt: skip
    other = await Customer.create(telegram_id=5, created_at=START, updated_at=START)
    for customer, kind, day in (
        (other, "opt_out", 0),
        (proven, "opt_out", 1),
        (other, "opt_in", 2),
    ):
        await ConsentEvent.create(
            customer=customer, kind=kind, given=kind == "opt_in", wording=kind.upper(),
            channel="telegram", recorded_by="customer", at=START + timedelta(days=day),
        )  # fmt: skip
    result = await attach_phone(other, "+6281234567890", START + timedelta(days=3), verified=True)
    assert result.merged_from == other.id
    assert (await Customer.get(id=proven.id)).opted_out_at is None


async def test_a_merge_brings_tags_tickets_reminders_and_the_agent(engine: Engine):
    proven = await customer(engine, "1001", "Budi", phone="+6281234567890", phone_verified=True)
    other = await customer(engine, "1002", "Budi T")
    ani = await add_agent("Ani", START, telegram_id=9001)
    await Customer.filter(id=other.id).update(assigned_agent_id=ani.id)
    for c in (proven, other):
        await CustomerTag.create(customer=c, name="vip", created_at=START)
    await CustomerTag.create(customer=other, name="reseller", created_at=START)
    await Ticket.create(customer=other, reason="person", excerpt="admin", opened_at=START)
    await Reminder.create(agent=ani, customer=other, note="x", due_at=START + timedelta(days=1),
                          created_at=START)  # fmt: skip
    other = await Customer.get(id=other.id)
    await attach_phone(other, "+6281234567890", START + timedelta(hours=2), verified=True)
    kept = await Customer.get(id=proven.id)
    assert kept.assigned_agent_id == ani.id
    assert sorted(await CustomerTag.filter(customer_id=kept.id).values_list("name", flat=True)) == [
        "reseller", "vip",
    ]  # fmt: skip
    assert await Ticket.filter(customer_id=kept.id).count() == 1
    assert await Reminder.filter(customer_id=kept.id).count() == 1
