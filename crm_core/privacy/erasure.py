"""The right to erasure (UU PDP art. 8 and 43; GDPR art. 17): a customer's personal data
removed for good, their sales kept as anonymous figures, and their numbers kept only as
keyed one-way hashes, so nobody brings them back by campaign or import.

What stays, and why: the customer row (empty, marked ``erased_at``) so orders keep an
owner and reports still add up; orders and their items without name, address or phone;
consent events (the proof of what they agreed to and when, a legal obligation of its
own); contact rows (who messaged them when, without free text); audit events, with any
free text about them scrubbed."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from crm_core.customers.phones import try_normalize_phone
from crm_core.errors import InputError
from crm_core.models import (
    Agent,
    AuditEvent,
    ConsentEvent,
    Contact,
    Conversation,
    Customer,
    CustomerMerge,
    CustomerTag,
    ErasedIdentity,
    Message,
    Note,
    Order,
    OutboxMessage,
    Reminder,
    StoreSecret,
    Ticket,
)
from crm_core.privacy.sealed_rows import store_secret
from crm_core.privacy.sealing import chat_index, phone_index
from crm_core.staff.audit import audit

ERASED = "[erased]"
KEY_NAME = "erasure_key"
# Shorter fragments than this would match unrelated text ("Ani" in "Pakaian").
MIN_FRAGMENT = 4
PHONE_DIGITS = 8  # a fragment of this many digits is a phone, found whatever its spacing
SCAN_PAGE = 1000
PERSONAL = (
    "name", "display_name", "phone", "telegram_id", "email", "address", "gender", "age_band",
    "education", "occupation", "consent_text", "blacklist_reason", "assigned_agent_id",
    "phone_index", "email_index", "phone_tail_index",
    # Their own words; the city and the source as counted stay, for the shop's figures.
    "city_typed", "lead_source_typed",
)  # fmt: skip


@dataclass(frozen=True)
class Erasure:
    customer_id: int
    messages: int
    notes: int
    orders: int
    chats: int
    outbox_cancelled: int


async def erase_customer(
    customer: Customer, now: datetime, *, reason: str, agent: Agent | None, actor: str
) -> Erasure:
    """Erase ``customer`` in one transaction; the audit log records that it happened,
    who did it and why, and nothing of what was erased."""
    reason = " ".join(reason.split())
    if not reason:
        raise InputError("erasure_reason_missing")
    if customer.erased_at is not None:
        when = customer.erased_at.date().isoformat()
        raise InputError("customer_already_erased", id=customer.id, day=when)
    if customer.merged_into_id is not None:  # type: ignore[attr-defined]
        raise InputError(
            "customer_merged_away",
            id=customer.id,
            into=customer.merged_into_id,  # type: ignore[attr-defined]
        )
    async with in_transaction():
        key = await _key()
        fragments = await _fragments(customer)
        chats = list(await Conversation.filter(customer_id=customer.id))
        await _remember(key, customer, chats, now)
        result = await _scrub(customer, chats, fragments, now, actor)
        await audit(
            agent, "customer.erase", now, customer_id=customer.id, actor=actor,
            reason=_without(reason, fragments), messages=result.messages, notes=result.notes,
            orders=result.orders,
        )  # fmt: skip
    return result


async def _scrub(
    customer: Customer,
    chats: list[Conversation],
    fragments: list[str],
    now: datetime,
    actor: str,
) -> Erasure:
    cid = customer.id
    messages = await Message.filter(customer_id=cid).update(body=ERASED, media_url=None, error=None)
    notes = await Note.filter(customer_id=cid).delete()
    await CustomerTag.filter(customer_id=cid).delete()
    await Reminder.filter(customer_id=cid).delete()
    await Ticket.filter(customer_id=cid, status="open").update(
        status="closed", closed_at=now, closed_by="erasure"
    )
    await Ticket.filter(customer_id=cid).update(excerpt=ERASED)
    await Contact.filter(customer_id=cid).update(override_reason=None)
    for event in await ConsentEvent.filter(customer_id=cid):
        # The proof stays; the greeting in it ("Halo Budi!") does not.
        wording = _redact(event.wording, fragments)
        if wording != event.wording:
            await ConsentEvent.filter(id=event.id).update(wording=wording)
    await CustomerMerge.filter(kept_id=cid).update(reason=ERASED)
    orders = await Order.filter(customer_id=cid).update(
        ship_name=ERASED, ship_phone=None, ship_address=ERASED, ship_city_typed=None,
        updated_at=now,
    )  # fmt: skip
    await Conversation.filter(id__in=[c.id for c in chats]).delete()
    # Waiting messages to them are cancelled: the dispatcher only takes pending rows.
    cancelled = await OutboxMessage.filter(
        customer_id=cid, status__in=("pending", "sending", "needs_template")
    ).update(status="failed", error="the customer's data was erased")
    await OutboxMessage.filter(customer_id=cid).update(body=ERASED, address=ERASED)
    await _scrub_free_text(cid, fragments)
    # Consent ends with the data: an event like any other change of consent says so.
    await ConsentEvent.create(
        customer_id=cid, kind="erasure", given=False, wording="data erased on request",
        channel="agent" if actor != "cli" else "cli", recorded_by=actor, at=now,
    )  # fmt: skip
    await Customer.filter(id=cid).update(
        **dict.fromkeys(PERSONAL), phone_verified=False, consent_marketing=False,
        opted_out_at=customer.opted_out_at or now, erased_at=now, updated_at=now,
    )  # fmt: skip
    return Erasure(cid, messages, notes, orders, len(chats), cancelled)


async def _scrub_free_text(customer_id: int, fragments: list[str]) -> None:
    """Agents' commands, the bot's answers to them and the team's alerts are logged on no
    customer's record, but may name them ("/catat Budi Santoso: ..."): those texts go too.
    Another customer's own messages that happen to hold the same words stay: they are
    that person's data, and a common first name would wipe other people's chats."""
    if not fragments:
        return
    # Bodies are sealed, so the store cannot search them: they are read and opened here,
    # a page at a time. Only texts on no customer's record are read (the team's own
    # traffic), a small part of the log.
    for model in (Message, OutboxMessage):
        last = 0
        while (
            page := await model.filter(customer_id__isnull=True, id__gt=last)
            .order_by("id")
            .limit(SCAN_PAGE)
            .values_list("id", "body")
        ):
            named = [i for i, body in page if _without(body or "", fragments) != body]
            if named:
                await model.filter(id__in=named).update(body=ERASED)
                if model is Message:
                    await Message.filter(id__in=named).update(media_url=None)
            last = page[-1][0]
    events = await AuditEvent.filter(
        Q(customer_id=customer_id) | Q(action__in=("customer.search", "customer.find"))
    )
    for event in events:
        detail = _scrub_detail(
            event.detail or {}, fragments, whole=event.customer_id == customer_id
        )
        if detail != event.detail:
            await AuditEvent.filter(id=event.id).update(detail=detail)


def _scrub_detail(detail: dict[str, Any], fragments: list[str], *, whole: bool) -> dict[str, Any]:
    """Free text about the erased person becomes ``[erased]``; ids, counts and names of
    actions stay, so the log still says who did what when."""
    scrubbed: dict[str, Any] = {}
    for name, value in detail.items():
        if isinstance(value, str) and (whole or _without(value, fragments) != value):
            scrubbed[name] = ERASED
        else:
            scrubbed[name] = value
    return scrubbed


def _redact(text: str, fragments: list[str]) -> str:
    """``text`` with every fragment replaced, whatever its case; the rest kept."""
    for fragment in sorted(fragments, key=len, reverse=True):
        text = _pattern(fragment).sub(ERASED, text)
    return text


def _without(text: str, fragments: list[str]) -> str:
    return ERASED if any(_pattern(f).search(text) for f in fragments) else text


@functools.lru_cache(maxsize=256)
def _pattern(fragment: str) -> re.Pattern[str]:
    """A phone matches however it was written ("0812 3456-7890", "(0812) 3456 7890"):
    spaces, dots, dashes and brackets may stand between its digits."""
    digits = fragment.removeprefix("+")
    if digits.isdecimal() and len(digits) >= PHONE_DIGITS:
        return re.compile(r"[\s.()\-]*".join(digits))
    return re.compile(re.escape(fragment), re.IGNORECASE)


async def _fragments(customer: Customer) -> list[str]:
    """The strings that identify this person in free text: names, email, address, and
    the phone in the ways people write it (+62..., 62..., 08...: all hold the digits
    after the country code)."""
    found: list[str | None] = [
        customer.name, customer.display_name, customer.email, customer.address,
    ]  # fmt: skip
    phones: set[str | None] = {customer.phone}
    for order in await Order.filter(customer_id=customer.id):
        found.extend((order.ship_name, order.ship_address))
        phones.add(order.ship_phone)
    for phone in phones:
        if phone:
            found.append(phone)
            found.append(phone.removeprefix("+62"))
    if customer.telegram_id is not None:
        found.append(str(customer.telegram_id))
    unique = {f.strip() for f in found if f and len(f.strip()) >= MIN_FRAGMENT}
    return sorted(unique - {ERASED})


async def _remember(
    key: bytes, customer: Customer, chats: list[Conversation], now: datetime
) -> None:
    digests = {}
    if customer.phone:
        digests[_digest(key, "phone", customer.phone)] = "phone"
    if customer.telegram_id is not None:
        digests[_digest(key, "telegram", str(customer.telegram_id))] = "telegram"
    for chat in chats:
        digests[_digest(key, "chat", f"{chat.channel}:{chat.address}")] = "chat"
        if chat.channel == "whatsapp":
            digests[_digest(key, "phone", chat.address)] = "phone"
    known = set(
        await ErasedIdentity.filter(digest__in=list(digests)).values_list("digest", flat=True)
    )
    await ErasedIdentity.bulk_create(
        [
            ErasedIdentity(kind=kind, digest=d, erased_at=now)
            for d, kind in digests.items()
            if d not in known
        ]
    )


def _digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


async def _key() -> bytes:
    """The store's erasure key, made on first use. Keyed, because the space of phone
    numbers is small enough to hash whole: without the key a copy of the hashes alone
    tells nobody which numbers they are."""
    return await store_secret(KEY_NAME)


async def _known(kind: str, value: str) -> bool:
    row = await StoreSecret.filter(name=KEY_NAME).first()
    if row is None:
        return False  # nobody was ever erased here
    return await ErasedIdentity.filter(
        digest=_digest(bytes.fromhex(row.value), kind, value)
    ).exists()


async def erased_phones(phones: Iterable[str]) -> set[str]:
    """Which of these E.164 numbers belonged to erased customers, in one query (an
    import's batch). The caller has already found the numbers that live records hold:
    a person who came back is theirs again."""
    row = await StoreSecret.filter(name=KEY_NAME).first()
    numbers = set(phones)
    if row is None or not numbers:
        return set()
    key = bytes.fromhex(row.value)
    by_digest = {_digest(key, "phone", n): n for n in numbers}
    found = await ErasedIdentity.filter(digest__in=list(by_digest)).values_list("digest", flat=True)
    return {by_digest[str(d)] for d in found}


async def is_erased_phone(phone: str) -> bool:
    """Whether this number (any written form) belonged to an erased customer who has not
    come back: an import skips the row, a campaign skips the number. A person who wrote
    to the shop again since has a live record with the number, and is not "erased"."""
    e164 = try_normalize_phone(phone)
    if (
        e164 is None
        or await Customer.filter(phone_index=phone_index(e164), erased_at__isnull=True).exists()
    ):
        return False
    return await _known("phone", e164)


async def is_erased_telegram(telegram_id: int) -> bool:
    if await Customer.filter(telegram_id=telegram_id, erased_at__isnull=True).exists():
        return False
    return await _known("telegram", str(telegram_id))


async def is_erased_chat(channel: str, address: str) -> bool:
    """Whether a chat address (a Telegram chat id, a WhatsApp number) was an erased
    customer's and they have not written from it since: an outbox row to it should not
    go out."""
    if await Conversation.filter(address_index=chat_index(channel, address)).exists():
        return False  # they wrote again from it: a new chat of a new record
    if channel == "whatsapp" and await is_erased_phone(address):
        return True
    return await _known("chat", f"{channel}:{address}")
