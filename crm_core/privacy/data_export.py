"""The right of access (UU PDP art. 7; GDPR art. 15): everything held about one person,
as plain data a program or a person can read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.queryset import QuerySet

from crm_core.models import (
    Agent,
    AuditEvent,
    ConsentEvent,
    Contact,
    Conversation,
    Customer,
    CustomerTag,
    Message,
    Note,
    Order,
    OrderItem,
    OrderStatusChange,
    Reminder,
    Ticket,
)
from crm_core.staff.audit import audit

FORMAT_VERSION = 1


async def customer_data(
    customer: Customer, now: datetime, *, agent: Agent | None = None, actor: str = "cli"
) -> dict[str, Any]:
    """Every row about ``customer``, oldest first within each kind. The export itself is
    audited: who took a copy of this person's data, and when."""
    cid = customer.id
    order_ids = list(await Order.filter(customer_id=cid).values_list("id", flat=True))
    orders = await _rows(Order.filter(customer_id=cid))
    items = await _rows(OrderItem.filter(order_id__in=order_ids))
    changes = await _rows(OrderStatusChange.filter(order_id__in=order_ids))
    for order in orders:
        order["items"] = [i for i in items if i["order_id"] == order["id"]]
        order["status_history"] = [c for c in changes if c["order_id"] == order["id"]]
    data = {
        "langgan_export": FORMAT_VERSION,
        "exported_at": now.isoformat(),
        "customer": (await _rows(Customer.filter(id=cid)))[0],
        "orders": orders,
        "messages": await _rows(Message.filter(customer_id=cid)),
        "chats": await _rows(Conversation.filter(customer_id=cid)),
        "notes": await _rows(Note.filter(customer_id=cid)),
        "tags": await _rows(CustomerTag.filter(customer_id=cid)),
        "tickets": await _rows(Ticket.filter(customer_id=cid)),
        "consent_events": await _rows(ConsentEvent.filter(customer_id=cid)),
        "contacts": await _rows(Contact.filter(customer_id=cid)),
        "reminders": await _rows(Reminder.filter(customer_id=cid)),
        "audit_events": await _rows(AuditEvent.filter(customer_id=cid)),
    }
    await audit(agent, "customer.export", now, customer_id=cid, actor=actor)
    return data


async def _rows(query: QuerySet[Any]) -> list[dict[str, Any]]:
    return [_plain(row) for row in await query.order_by("id").values()]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready: times as ISO-8601 text, money as whole numbers."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = int(value)
        out[name] = value
    return out


@dataclass(frozen=True)
class DataSummary:
    """What a customer is told in chat about the data held on them: their own profile,
    which they gave us, and how many of each kind of record exist."""

    customer: Customer
    orders: int
    messages: int
    notes: int
    consent_events: int
    tickets: int


async def data_summary(customer: Customer) -> DataSummary:
    cid = customer.id
    return DataSummary(
        customer,
        orders=await Order.filter(customer_id=cid).count(),
        messages=await Message.filter(customer_id=cid).count(),
        notes=await Note.filter(customer_id=cid).count(),
        consent_events=await ConsentEvent.filter(customer_id=cid).count(),
        tickets=await Ticket.filter(customer_id=cid).count(),
    )
