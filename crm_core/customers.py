"""Finding, creating, updating and merging customer records.

Every function takes ``now``: the domain never reads the wall clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError

from crm_core.message_log import storable
from crm_core.models import (
    ChannelIdentity,
    ConsentEvent,
    Conversation,
    Customer,
    CustomerMerge,
    Message,
    Note,
    Order,
)

PROFILE_FIELDS = ("name", "address", "city", "phone", "email", "gender", "age_band", "lead_source")


async def find_by_identity(channel: str, address: str) -> Customer | None:
    identity = (
        await ChannelIdentity.filter(channel=channel, address=address)
        .select_related("customer")
        .first()
    )
    return identity.customer if identity else None


async def create_for_identity(
    channel: str,
    address: str,
    now: datetime,
    *,
    language: str,
    display_name: str | None = None,
    telegram_id: int | None = None,
    phone: str | None = None,
) -> Customer:
    """A new record for someone we have never seen on any channel.

    When their phone already belongs to a record (a WhatsApp customer is their phone),
    that record gains this identity instead of a new one being made."""
    customer = await Customer.filter(phone=phone).first() if phone else None
    if customer is None:
        customer = await Customer.create(
            display_name=storable(display_name or "")[:120] or None,
            telegram_id=telegram_id,
            phone=phone,
            language=language,
            created_at=now,
            updated_at=now,
        )
    await ChannelIdentity.create(
        channel=channel, address=address, customer=customer, created_at=now
    )
    return customer


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
    """Fold ``fold`` into ``keep``: orders, messages, notes, identities, consent history
    and conversations move; profile gaps in ``keep`` are filled from ``fold``; running
    figures are added up; the merge is recorded. ``fold`` stays as an empty row that
    points at ``keep``, so anything still holding its id can find the person."""
    moved = {
        "orders": await Order.filter(customer_id=fold.id).update(customer_id=keep.id),
        "messages": await Message.filter(customer_id=fold.id).update(customer_id=keep.id),
        "notes": await Note.filter(customer_id=fold.id).update(customer_id=keep.id),
        "identities": await ChannelIdentity.filter(customer_id=fold.id).update(customer_id=keep.id),
        "consent_events": await ConsentEvent.filter(customer_id=fold.id).update(
            customer_id=keep.id
        ),
    }
    # One conversation per customer and channel: the folded record's live conversation
    # wins on its channel (it is the one the person is typing in right now).
    fold_channels = await Conversation.filter(customer_id=fold.id).values_list("channel", flat=True)
    if fold_channels:
        await Conversation.filter(customer_id=keep.id, channel__in=list(fold_channels)).delete()
        await Conversation.filter(customer_id=fold.id).update(customer_id=keep.id)

    unique_moves = {}
    for attr in ("phone", "telegram_id"):
        if getattr(keep, attr) is None and getattr(fold, attr) is not None:
            unique_moves[attr] = getattr(fold, attr)
    for attr in (
        "name", "display_name", "email", "address", "city", "gender", "age_band",
        "education", "occupation", "lead_source",
    ):  # fmt: skip
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
        phone=None, telegram_id=None, merged_into_id=keep.id, orders_count=0, total_spent=0,
        updated_at=now,
    )  # fmt: skip
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
        customer=customer, kind="marketing", given=given, wording=wording, channel=channel,
        recorded_by=by, at=now,
    )  # fmt: skip


async def opt_out(customer: Customer, wording: str, channel: str, now: datetime) -> None:
    customer.opted_out_at = now
    await ConsentEvent.create(
        customer=customer, kind="opt_out", given=False, wording=wording, channel=channel,
        recorded_by="customer", at=now,
    )  # fmt: skip


async def opt_in(customer: Customer, wording: str, channel: str, now: datetime) -> None:
    customer.opted_out_at = None
    await ConsentEvent.create(
        customer=customer, kind="opt_in", given=True, wording=wording, channel=channel,
        recorded_by="customer", at=now,
    )  # fmt: skip


__all__ = [
    "IntegrityError",
    "PhoneResult",
    "attach_phone",
    "create_for_identity",
    "find_by_identity",
    "merge_customers",
    "opt_in",
    "opt_out",
    "record_consent",
]
