"""Finding, creating, updating and merging customer records.

Every function takes ``now``: the domain never reads the wall clock."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_core.message_log import storable
from crm_core.models import (
    ConsentEvent,
    Conversation,
    Customer,
    CustomerMerge,
    Message,
    Note,
    Order,
)

PROFILE_FIELDS = ("name", "address", "city", "phone", "email", "gender", "age_band", "lead_source")


async def find_conversation(channel: str, address: str) -> Conversation | None:
    """The chat and its customer in one query. On PostgreSQL the chat's row is locked to
    the end of the transaction, so two messages from one chat at once queue up instead
    of overwriting each other's state (SQLite runs one transaction at a time anyway).

    Every incoming message starts here, so this one query is written out: Tortoise's
    ``select_related`` spends about 0.5 ms building it on each call, a third of the
    engine's time per message (measured with bench/inbound.py)."""
    connection = Conversation._meta.db
    chat_columns, customer_columns = _columns()
    query = _chat_query(connection.capabilities.dialect)
    row = await _fetch_one(connection, query, channel, address)
    if row is None:
        return None
    conversation = Conversation._init_from_db(**{name: row[name] for name in chat_columns})
    conversation.customer = Customer._init_from_db(
        **{name: row[f"c_{name}"] for name in customer_columns}
    )
    return conversation


@functools.cache
def _columns() -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Read after Tortoise has set the models up: foreign-key columns exist only then.
    return tuple(sorted(Conversation._meta.db_fields)), tuple(sorted(Customer._meta.db_fields))


@functools.cache
def _chat_query(dialect: str) -> str:
    chat_columns, customer_columns = _columns()
    chat = ", ".join(f'v."{name}"' for name in chat_columns)
    customer = ", ".join(f'c."{name}" AS "c_{name}"' for name in customer_columns)
    if dialect == "postgres":
        where, lock = "v.channel = $1 AND v.address = $2", " FOR NO KEY UPDATE OF v"
    else:
        where, lock = "v.channel = ? AND v.address = ?", ""
    return (
        f"SELECT {chat}, {customer} FROM conversation v JOIN customer c ON c.id = v.customer_id "
        f"WHERE {where} LIMIT 1{lock}"
    )


async def _fetch_one(connection: Any, sql: str, *values: Any) -> dict[str, Any] | None:
    _, rows = await connection.execute_query(sql, list(values))
    return dict(rows[0]) if rows else None


async def start_conversation(
    channel: str,
    address: str,
    now: datetime,
    *,
    language: str,
    display_name: str | None = None,
    telegram_id: int | None = None,
    phone: str | None = None,
) -> Conversation:
    """A chat we have never seen. Its customer is the record that already has this phone
    (a WhatsApp customer is their phone) or Telegram id, else a new record."""
    customer = None
    if phone:
        customer = await Customer.filter(phone=phone).first()
    if customer is None and telegram_id is not None:
        customer = await Customer.filter(telegram_id=telegram_id).first()
    if customer is None:
        customer = await Customer.create(
            display_name=storable(display_name or "")[:120] or None,
            telegram_id=telegram_id,
            phone=phone,
            language=language,
            created_at=now,
            updated_at=now,
        )
    conversation = await Conversation.create(
        channel=channel,
        address=address,
        customer=customer,
        state="new",
        data={},
        created_at=now,
        updated_at=now,
    )
    conversation.customer = customer
    return conversation


# Kept current by atomic increments where orders are written (``place_order``), never
# by saving a customer object read earlier, which could hold stale figures.
RUNNING_FIGURES = frozenset({"orders_count", "total_spent", "first_order_at", "last_order_at"})


def snapshot(customer: Customer) -> dict[str, Any]:
    return {name: getattr(customer, name) for name in customer._meta.db_fields}


async def save_changes(customer: Customer, before: dict[str, Any]) -> None:
    """Write only the fields that changed since ``before``: a short UPDATE, and no
    overwriting of what another chat of the same person changed meanwhile."""
    changed = [
        name
        for name, value in before.items()
        if name not in RUNNING_FIGURES and name != "id" and getattr(customer, name) != value
    ]
    if changed:
        await customer.save(update_fields=changed)


@dataclass(frozen=True)
class PhoneResult:
    customer: Customer  # the record that now holds the phone
    merged_from: int | None = None  # the id of the record folded into it, if any
    taken: bool = False  # the phone belongs to someone else and was not linked


async def attach_phone(
    customer: Customer, phone: str, now: datetime, *, verified: bool
) -> PhoneResult:
    """Give ``customer`` this phone.

    When another record already has it and the phone is ``verified`` (a contact the
    channel vouches is the sender's own), the two records merge into the older one.
    An unverified phone that belongs to someone else is never linked: typing another
    person's number must not open their history."""
    if customer.phone == phone:
        return PhoneResult(customer)
    owner = await Customer.filter(phone=phone).exclude(id=customer.id).first()
    if owner is None:
        customer.phone = phone
        customer.updated_at = now
        await customer.save(update_fields=["phone", "updated_at"])
        return PhoneResult(customer)
    if not verified:
        return PhoneResult(customer, taken=True)
    keep, fold = (owner, customer) if owner.id < customer.id else (customer, owner)
    await merge_customers(keep, fold, now, reason=f"same phone {phone}")
    return PhoneResult(keep, merged_from=fold.id)


async def merge_customers(keep: Customer, fold: Customer, now: datetime, *, reason: str) -> None:
    """Fold ``fold`` into ``keep``: orders, messages, notes, chats and consent history
    move; gaps in ``keep``'s profile are filled from ``fold``; running figures are added
    up; the merge is recorded. ``fold`` stays as an empty row that
    points at ``keep``, so anything still holding its id can find the person."""
    moved = {
        "orders": await Order.filter(customer_id=fold.id).update(customer_id=keep.id),
        "messages": await Message.filter(customer_id=fold.id).update(customer_id=keep.id),
        "notes": await Note.filter(customer_id=fold.id).update(customer_id=keep.id),
        "chats": await Conversation.filter(customer_id=fold.id).update(customer_id=keep.id),
        "consent_events": await ConsentEvent.filter(customer_id=fold.id).update(
            customer_id=keep.id
        ),
    }

    unique_moves = {}
    for attr in ("phone", "telegram_id"):
        if getattr(keep, attr) is None and getattr(fold, attr) is not None:
            unique_moves[attr] = getattr(fold, attr)
    for attr in (
        "name",
        "display_name",
        "email",
        "address",
        "city",
        "gender",
        "age_band",
        "education",
        "occupation",
        "lead_source",
    ):
        if not getattr(keep, attr) and getattr(fold, attr):
            setattr(keep, attr, getattr(fold, attr))
    _merge_consent(keep, fold)
    keep.orders_count += fold.orders_count
    keep.total_spent += fold.total_spent
    keep.first_order_at = _earliest(keep.first_order_at, fold.first_order_at)
    keep.last_order_at = _latest(keep.last_order_at, fold.last_order_at)
    keep.last_inbound_at = _latest(keep.last_inbound_at, fold.last_inbound_at)
    if fold.last_contacted_at and (
        keep.last_contacted_at is None or fold.last_contacted_at > keep.last_contacted_at
    ):
        keep.last_contacted_at, keep.last_contacted_by = (
            fold.last_contacted_at,
            fold.last_contacted_by,
        )
    keep.blacklisted = keep.blacklisted or fold.blacklisted
    keep.blacklist_reason = keep.blacklist_reason or fold.blacklist_reason
    keep.blacklisted_at = keep.blacklisted_at or fold.blacklisted_at

    # Clear the unique columns on the folded row first, or the copy would collide.
    await Customer.filter(id=fold.id).update(
        phone=None,
        telegram_id=None,
        merged_into_id=keep.id,
        orders_count=0,
        total_spent=0,
        updated_at=now,
    )
    for attr, value in unique_moves.items():
        setattr(keep, attr, value)
    keep.updated_at = now
    await keep.save()
    await CustomerMerge.create(kept=keep, merged_id=fold.id, reason=reason, moved=moved, at=now)


def _merge_consent(keep: Customer, fold: Customer) -> None:
    """The most recent answer about marketing is the one that stands; an opt-out on
    either record stands too (a person who said STOP anywhere said it)."""
    if fold.consent_at and (keep.consent_at is None or fold.consent_at > keep.consent_at):
        keep.consent_marketing = fold.consent_marketing
        keep.consent_at = fold.consent_at
        keep.consent_text = fold.consent_text
        keep.consent_channel = fold.consent_channel
    keep.opted_out_at = _latest(keep.opted_out_at, fold.opted_out_at)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((x for x in (a, b) if x is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((x for x in (a, b) if x is not None), default=None)


async def record_consent(
    customer: Customer, given: bool, wording: str, channel: str, now: datetime, *, by: str
) -> None:
    customer.consent_marketing = given
    customer.consent_at = now
    customer.consent_text = wording
    customer.consent_channel = channel
    await ConsentEvent.create(
        customer=customer,
        kind="marketing",
        given=given,
        wording=wording,
        channel=channel,
        recorded_by=by,
        at=now,
    )


async def opt_out(customer: Customer, wording: str, channel: str, now: datetime) -> None:
    customer.opted_out_at = now
    await ConsentEvent.create(
        customer=customer,
        kind="opt_out",
        given=False,
        wording=wording,
        channel=channel,
        recorded_by="customer",
        at=now,
    )


async def opt_in(customer: Customer, wording: str, channel: str, now: datetime) -> None:
    customer.opted_out_at = None
    await ConsentEvent.create(
        customer=customer,
        kind="opt_in",
        given=True,
        wording=wording,
        channel=channel,
        recorded_by="customer",
        at=now,
    )
