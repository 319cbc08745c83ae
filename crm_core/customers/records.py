"""Finding, creating, updating and merging customer records.

Every function takes ``now``: the domain never reads the wall clock."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Count, Max, Min, Sum

from crm_core.models import (
    ConsentEvent,
    Contact,
    Conversation,
    Customer,
    CustomerMerge,
    CustomerTag,
    Message,
    Note,
    Order,
    Reminder,
    Ticket,
    rows,
)
from crm_core.outreach.message_log import storable
from crm_core.privacy.sealing import chat_index, phone_index


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
    row = await _fetch_one(connection, query, chat_index(channel, address))
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
        where, lock = "v.address_index = $1", " FOR NO KEY UPDATE OF v"
    else:
        where, lock = "v.address_index = ?", ""
    return (
        f"SELECT {chat}, {customer} FROM conversation v JOIN customer c ON c.id = v.customer_id "
        f"WHERE {where} LIMIT 1{lock}"
    )


async def save_chat(conversation: Conversation, now: datetime) -> None:
    """The chat after a message: whose it is, its step and what it holds, and the time
    it wrote (WhatsApp's 24-hour window counts from it). One prepared UPDATE, as
    ``find_conversation`` is one query: every message ends here."""
    conversation.updated_at = conversation.last_inbound_at = now
    await rows.update(
        Conversation, conversation.id,
        customer_id=conversation.customer_id, state=conversation.state,
        data=conversation.data, last_inbound_at=now, updated_at=now,
    )  # fmt: skip


async def _fetch_one(connection: Any, sql: str, *values: Any) -> dict[str, Any] | None:
    _, rows = await connection.execute_query(sql, list(values))
    return dict(rows[0]) if rows else None


async def reachable_chat(customer_id: int) -> Conversation | None:
    """The Telegram or WhatsApp chat the customer wrote in last: where the shop reaches
    them. A ``langgan chat`` terminal only when they have no other (someone trying the
    bot as that customer never takes a real customer's news): what is queued for it is
    shown there the next time the person at that keyboard presses Enter."""
    chats = Conversation.filter(customer_id=customer_id, last_inbound_at__isnull=False)
    found = await chats.exclude(channel="terminal").order_by("-last_inbound_at").first()
    return found or await chats.filter(channel="terminal").order_by("-last_inbound_at").first()


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
    """A chat we have never seen.

    ``phone`` is given only when the chat's address is the phone and the channel vouches
    for it (a WhatsApp sender): then the record whose phone was proven the same way is
    this person's. A record that merely had the number typed into it loses the number
    to its proven owner instead of being opened by them."""
    customer = None
    if phone:
        found = Customer.filter(phone_index=phone_index(phone))
        customer = await found.filter(phone_verified=True).first()
        if customer is None:
            await found.update(phone=None, phone_index=None, updated_at=now)
    if customer is None and telegram_id is not None:
        customer = await Customer.filter(telegram_id=telegram_id).first()
    if customer is None:
        customer = await Customer.create(
            display_name=storable(display_name or "")[:120] or None,
            telegram_id=telegram_id,
            phone=phone,
            phone_verified=phone is not None,
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
        last_inbound_at=now,
        created_at=now,
        updated_at=now,
    )
    conversation.customer = customer
    return conversation


# Kept current by atomic increments where orders are written (``place_order``), never
# by saving a customer object read earlier, which could hold stale figures.
RUNNING_FIGURES = frozenset(
    {"orders_count", "total_spent", "first_order_at", "last_order_at", "winback_days"}
)


def snapshot(customer: Customer) -> dict[str, Any]:
    return {name: getattr(customer, name) for name in customer._meta.db_fields}


async def save_changes(customer: Customer, before: dict[str, Any], now: datetime) -> None:
    """Write only the fields that changed since ``before`` (and ``updated_at``, then):
    a short UPDATE, or none, and no overwriting of what another chat of the same person
    changed meanwhile."""
    changed = [
        name
        for name, value in before.items()
        if name not in RUNNING_FIGURES and name != "id" and getattr(customer, name) != value
    ]
    if changed:
        customer.updated_at = now
        await customer.save(update_fields={*changed, "updated_at"})


@dataclass(frozen=True)
class PhoneResult:
    customer: Customer  # the record that now holds the phone
    merged_from: int | None = None  # the id of the record folded into it, if any
    taken: bool = False  # the phone belongs to someone else and was not linked


async def attach_phone(
    customer: Customer, phone: str, now: datetime, *, verified: bool
) -> PhoneResult:
    """Give ``customer``, the person in the chat right now, this phone.

    ``verified`` means the channel vouches the phone is theirs (a Telegram contact shared
    by its owner, a WhatsApp sender). A number only typed is linked only when nobody else
    has it: typing another person's number never opens their history. A proven number
    that another record only had typed into it moves to its proven owner; a number proven
    on both records means one person, and the records merge."""
    if customer.phone == phone:
        if verified and not customer.phone_verified:
            customer.phone_verified = True
            await customer.save(update_fields=["phone_verified"])
        return PhoneResult(customer)
    if not verified and customer.phone_verified:
        # A typed number or someone's forwarded card never replaces a proven one.
        return PhoneResult(customer, taken=True)
    owner = await Customer.filter(phone_index=phone_index(phone)).exclude(id=customer.id).first()
    if owner is not None and not verified:
        return PhoneResult(customer, taken=True)
    if owner is not None and not owner.phone_verified:
        await Customer.filter(id=owner.id).update(phone=None, phone_index=None, updated_at=now)
        owner = None
    if owner is None:
        customer.phone, customer.phone_verified = phone, verified
        customer.updated_at = now
        await customer.save(update_fields=["phone", "phone_verified", "updated_at"])
        return PhoneResult(customer)
    keep, fold = (owner, customer) if owner.id < customer.id else (customer, owner)
    await merge_customers(
        keep, fold, now, reason="same phone", current=customer, proven_phone=phone
    )
    return PhoneResult(keep, merged_from=fold.id)


PROFILE = (
    "name", "display_name", "email", "address", "city", "city_typed", "gender", "age_band",
    "education", "occupation", "lead_source", "lead_source_typed", "language",
)  # fmt: skip
# Kept as counted and as typed: both come from the same record.
TYPED = {"city_typed": "city", "lead_source_typed": "lead_source"}


async def merge_customers(
    keep: Customer,
    fold: Customer,
    now: datetime,
    *,
    reason: str,
    current: Customer,
    proven_phone: str | None = None,
) -> None:
    """Fold ``fold`` into ``keep`` (the older record, whose id others may already hold).

    Orders, messages, notes, chats and consent history move. The profile is the one of
    ``current``, the record of the chat the person is typing in, with its gaps filled from
    the other: what they entered a moment ago wins over what was there before. A
    ``proven_phone`` (the reason for the merge) is the person's phone, verified. Running
    figures are recounted from the orders, so an order written meanwhile by the other
    record's chat still counts. The merge is recorded, and ``fold`` stays as an empty row
    pointing at ``keep``."""
    # Lock in the engine's order, chats before customers, lower ids first, so a message
    # from the other record's chat and this merge queue up instead of deadlocking.
    ids = [keep.id, fold.id]
    await Conversation.filter(customer_id__in=ids).order_by("id").select_for_update()
    await Customer.filter(id__in=ids).order_by("id").select_for_update()
    moved = {
        "orders": await Order.filter(customer_id=fold.id).update(customer_id=keep.id),
        "messages": await Message.filter(customer_id=fold.id).update(customer_id=keep.id),
        "notes": await Note.filter(customer_id=fold.id).update(customer_id=keep.id),
        "chats": await Conversation.filter(customer_id=fold.id).update(customer_id=keep.id),
        "consent_events": await ConsentEvent.filter(customer_id=fold.id).update(
            customer_id=keep.id
        ),
        "contacts": await Contact.filter(customer_id=fold.id).update(customer_id=keep.id),
        "tickets": await Ticket.filter(customer_id=fold.id).update(customer_id=keep.id),
        "reminders": await Reminder.filter(customer_id=fold.id).update(customer_id=keep.id),
        "tags": await _move_tags(fold.id, keep.id),
    }
    other = fold if current is keep else keep
    for attr in PROFILE:
        if attr in TYPED:
            source = current if getattr(current, TYPED[attr]) else other
            setattr(keep, attr, getattr(source, attr))
        else:
            setattr(keep, attr, getattr(current, attr) or getattr(other, attr))
    phone: str | None
    if proven_phone is not None:
        phone, phone_verified = proven_phone, True
    elif current.phone is not None:
        phone, phone_verified = current.phone, current.phone_verified
    else:
        phone, phone_verified = other.phone, other.phone_verified
    telegram_id = keep.telegram_id or fold.telegram_id
    _merge_consent(keep, fold)
    keep.last_inbound_at = _latest(keep.last_inbound_at, fold.last_inbound_at)
    if fold.last_contacted_at and (
        keep.last_contacted_at is None or fold.last_contacted_at > keep.last_contacted_at
    ):
        keep.last_contacted_at = fold.last_contacted_at
        keep.last_contacted_by = fold.last_contacted_by
    keep.blacklisted = keep.blacklisted or fold.blacklisted
    keep.blacklist_reason = keep.blacklist_reason or fold.blacklist_reason
    keep.blacklisted_at = keep.blacklisted_at or fold.blacklisted_at
    keep.optional_offered_at = keep.optional_offered_at or fold.optional_offered_at
    keep.assigned_agent_id = keep.assigned_agent_id or fold.assigned_agent_id
    keep.source_asked_at = keep.source_asked_at or fold.source_asked_at

    # The folded row keeps nothing personal; its unique columns are cleared first, or
    # giving them to ``keep`` would collide.
    await Customer.filter(id=fold.id).update(
        merged_into_id=keep.id, updated_at=now, phone=None, telegram_id=None,
        phone_verified=False, consent_marketing=None, consent_at=None, consent_text=None,
        consent_channel=None, opted_out_at=None, last_order_at=None, first_order_at=None,
        orders_count=0, total_spent=0, assigned_agent_id=None, **dict.fromkeys(PROFILE[:-1]),
    )  # fmt: skip
    keep.phone, keep.phone_verified, keep.telegram_id = phone, phone_verified, telegram_id
    await recount_orders(keep)
    await _latest_opt_out(keep)
    keep.updated_at = now
    await keep.save()
    await CustomerMerge.create(kept=keep, merged_id=fold.id, reason=reason, moved=moved, at=now)


async def _move_tags(from_id: int, to_id: int) -> int:
    """Tags move; one both records had stays once."""
    kept = await CustomerTag.filter(customer_id=to_id).values_list("name", flat=True)
    await CustomerTag.filter(customer_id=from_id, name__in=list(kept)).delete()
    return await CustomerTag.filter(customer_id=from_id).update(customer_id=to_id)


async def recount_orders(customer: Customer) -> None:
    """Set the running figures from the customer's orders; a cancelled order is not a
    purchase."""
    figures = (
        await Order.filter(customer_id=customer.id)
        .exclude(status="batal")
        .annotate(
            n=Count("id"), spent=Sum("total"), first=Min("created_at"), last=Max("created_at")
        )
        .first()
        .values("n", "spent", "first", "last")
    )
    customer.orders_count = (figures or {}).get("n") or 0
    customer.total_spent = int((figures or {}).get("spent") or 0)
    customer.first_order_at = (figures or {}).get("first")
    last = (figures or {}).get("last")
    if last != customer.last_order_at:
        # Another spell: a win-back already sent for the old one is found by the
        # sweep's dedupe key, and this figure put back.
        customer.winback_days = 0
    customer.last_order_at = last


def _merge_consent(keep: Customer, fold: Customer) -> None:
    """The most recent answer about marketing is the one that stands; an opt-out on
    either record stands too (a person who said STOP anywhere said it)."""
    if fold.consent_at and (keep.consent_at is None or fold.consent_at > keep.consent_at):
        keep.consent_marketing = fold.consent_marketing
        keep.consent_at = fold.consent_at
        keep.consent_text = fold.consent_text
        keep.consent_channel = fold.consent_channel
    keep.opted_out_at = _latest(keep.opted_out_at, fold.opted_out_at)


async def _latest_opt_out(customer: Customer) -> None:
    """After a merge, the person's last STOP or MULAI on any record is the one that stands."""
    last = (
        await ConsentEvent.filter(customer_id=customer.id, kind__in=("opt_out", "opt_in"))
        .order_by("-at", "-id")
        .first()
    )
    if last is not None:
        customer.opted_out_at = last.at if last.kind == "opt_out" else None


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


async def set_opted_out(
    customer: Customer, opted_out: bool, wording: str, channel: str, now: datetime
) -> None:
    """STOP (``opted_out``) or MULAI: no proactive messages, or them again; every change
    is a consent event with the customer's own words."""
    customer.opted_out_at = now if opted_out else None
    await ConsentEvent.create(
        customer=customer,
        kind="opt_out" if opted_out else "opt_in",
        given=not opted_out,
        wording=wording,
        channel=channel,
        recorded_by="customer",
        at=now,
    )
