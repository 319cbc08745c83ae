"""The one gate for every message the shop starts (an agent's /kirim, a campaign's
follow-up): nobody, person or machine, contacts a customer twice inside the cooldown or
more often than the weekly cap, never one who is blacklisted, opted out, erased or did
not consent to marketing, and never in quiet hours. It also keeps the windows a message
depends on: WhatsApp's 24 hours after the customer's last message (free text inside, an
approved template outside), and the day after a customer writes in, when an agent's
/balas is service rather than contact.

``Gate`` is the object everyone asks. Its yes is a ``Permit``, which only this module
makes, and the outbox queues a message the shop starts only with one; everything else
it queues names its ``Service`` reason. The dispatcher asks the same gate again when the
message goes (``Gate.at_send``).

A claim is one conditional UPDATE of the customer row: two agents or two instances
racing for the same customer both run it, and exactly one changes the row. The loser is
told who won and until when. Replies to a customer who wrote in are service, not contact,
and never pass through a claim."""

from __future__ import annotations

import enum
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from crm_core.customers.records import reachable_chat
from crm_core.errors import InputError
from crm_core.models import Contact, Conversation, Customer, OutboxMessage, Ticket
from crm_core.store import updated_ids

# WhatsApp takes free text only within 24 hours of the customer's last message; after
# that, only a template the shop had approved.
WHATSAPP_WINDOW = timedelta(hours=24)
# An agent's /balas answers someone who wrote in: within a day, or while their ticket is
# open; later it would be a way round the contact policy.
SERVICE_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Refusal:
    reason: str  # blacklisted, opted_out, no_consent, cooldown, weekly_cap
    by: str | None = None  # who contacted them last
    at: datetime | None = None  # when
    until: datetime | None = None  # when they may be contacted again


class Service(enum.StrEnum):
    """Why a message is service, not contact: it passes no claim. The value is the
    outbox's ``kind``."""

    ANSWER = "service"  # to a customer, about what they started: an order, a ticket, /balas
    STAFF = "staff"  # to the shop's own people
    REPLY = "reply"  # the bot's reply to what a customer just wrote


MARKETING = "marketing"  # the outbox's kind for a message sent on a Permit

_MADE_HERE = object()


# Compared by identity: a copy (dataclasses.replace with another address, say) is not
# one the gate gave, and ``given`` says so.
@dataclass(frozen=True, eq=False)
class Permit:
    """The gate's yes to one message the shop starts: the customer is claimed (their
    cooldown started, the contact counted), the chat it goes to, and from when (quiet
    hours defer it, never drop it). On WhatsApp, the approved template to send once the
    24-hour window has closed, when the shop has one."""

    customer_id: int
    channel: str
    address: str
    not_before: datetime | None = None
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None
    made_by: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.made_by is not _MADE_HERE:
            raise TypeError(
                "a Permit is given only by the gate (crm_core.outreach.contact_policy.Gate)"
            )


def _give(
    customer_id: int,
    channel: str,
    address: str,
    not_before: datetime | None,
    content_sid: str | None = None,
    content_variables: dict[str, str] | None = None,
) -> Permit:
    """A permit, as only the gate gives one (and ``given`` knows it by)."""
    permit = Permit(
        customer_id, channel, address, not_before, content_sid, content_variables,
        made_by=_MADE_HERE,
    )  # fmt: skip
    _GIVEN.add(permit)
    return permit


def given(permit: object) -> bool:
    """Whether ``permit`` is one the gate gave, as it gave it."""
    return isinstance(permit, Permit) and permit in _GIVEN and permit.made_by is _MADE_HERE


_GIVEN: weakref.WeakSet[Permit] = weakref.WeakSet()


@dataclass(frozen=True)
class Candidate:
    """One message a campaign would send: to whom, in which chat, and the approved
    WhatsApp template for it (content id and variables), if the shop has one."""

    customer_id: int
    channel: str
    address: str
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None


@dataclass(frozen=True)
class AtSend:
    """The gate's answer when a queued message is about to go: wait until ``until``
    (quiet hours), or cancel it with the reason."""

    until: datetime | None = None
    cancel: str | None = None


def _open_to_marketing() -> Q:
    return Q(
        blacklisted=False, opted_out_at__isnull=True, consent_marketing=True, erased_at__isnull=True
    )


WEEK = timedelta(days=7)
JAKARTA = ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True)
class Rules:
    """The shop's contact settings (LANGGAN_CONTACT_COOLDOWN, LANGGAN_WEEKLY_CAP,
    LANGGAN_QUIET_HOURS in LANGGAN_TIMEZONE)."""

    cooldown: timedelta = timedelta(hours=72)
    weekly_cap: int = 2
    quiet_hours: tuple[time, time] = (time(21, 0), time(8, 0))
    tz: ZoneInfo = JAKARTA

    def quiet_until(self, now: datetime) -> datetime | None:
        return quiet_until(now, self.tz, self.quiet_hours)


class Gate:
    """Whether, where, when and how a message the shop starts may go."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    def quiet_until(self, now: datetime) -> datetime | None:
        return self.rules.quiet_until(now)

    @staticmethod
    def needs_template(channel: str, last_inbound_at: datetime | None, now: datetime) -> bool:
        """Whether only an approved template may go to the chat now (WhatsApp, its
        24-hour window closed)."""
        return channel == "whatsapp" and not _within(last_inbound_at, now, WHATSAPP_WINDOW)

    @staticmethod
    def wrote_lately(last_inbound_at: datetime | None, now: datetime) -> bool:
        """Whether the customer wrote in within the service window."""
        return _within(last_inbound_at, now, SERVICE_WINDOW)

    async def chat_for(self, customer: Customer, now: datetime, *, service: bool) -> Conversation:
        """The chat an agent's message reaches the customer in (the one they used last),
        or InputError: none, WhatsApp's window closed (an agent types free text), or for
        a ``service`` answer, more than a day since they wrote and no ticket open."""
        chat = await reachable_chat(customer.id)
        if chat is None or chat.last_inbound_at is None:
            raise InputError("customer_unreachable")
        if self.needs_template(chat.channel, chat.last_inbound_at, now):
            raise InputError("whatsapp_window_closed")
        if service and not self.wrote_lately(chat.last_inbound_at, now):
            if not await Ticket.filter(customer_id=customer.id, status="open").exists():
                raise InputError("reply_window_closed")
        return chat

    async def permit(
        self,
        customer_id: int,
        chat: Conversation,
        by: str,
        kind: str,
        now: datetime,
        *,
        override_reason: str | None = None,
    ) -> Permit | Refusal:
        """One message to one customer in ``chat`` (an agent's /kirim): claimed now, or
        refused with why. ``override_reason`` (an admin's) sets the cooldown and the
        weekly cap aside, never the customer's own no."""
        refusal = await claim(
            customer_id, by, kind, now, self.rules, override_reason=override_reason
        )
        if refusal is not None:
            return refusal
        return _give(customer_id, chat.channel, chat.address, self.quiet_until(now))

    async def permit_many(
        self, candidates: Sequence[Candidate], by: str, kind: str, now: datetime
    ) -> dict[int, Permit | Refusal]:
        """A campaign's batch, claimed together (see ``claim_many``): for each customer,
        their permit or why not. Run it inside the transaction that queues them."""
        answers = await claim_many([c.customer_id for c in candidates], by, kind, now, self.rules)
        until = self.quiet_until(now)
        decided: dict[int, Permit | Refusal] = {}
        for c in candidates:
            refusal = answers[c.customer_id]
            if refusal is not None:
                decided[c.customer_id] = refusal
            elif c.customer_id not in decided:
                decided[c.customer_id] = _give(
                    c.customer_id, c.channel, c.address, until, c.content_sid,
                    c.content_variables,
                )  # fmt: skip
        return decided

    async def would_refuse_many(
        self, customers: Sequence[Customer], now: datetime
    ) -> dict[int, Refusal | None]:
        """What ``permit_many`` would answer, without claiming (a dry run)."""
        return await would_refuse_many(customers, now, self.rules)

    def cooldown(self, customer: Customer, now: datetime) -> Refusal | None:
        return _cooldown(customer, now, self.rules)

    async def at_send(self, row: OutboxMessage, now: datetime) -> AtSend | None:
        """Asked again as a queued message goes: a message the shop started never goes
        in quiet hours (a retried or late one waits for the morning); nothing goes to a
        customer whose data was erased since, and no marketing after a STOP, a
        blacklisting or a withdrawn consent."""
        if row.kind == MARKETING and (morning := self.quiet_until(now)) is not None:
            return AtSend(until=morning)
        if row.customer_id is None:
            return None
        customer = await Customer.filter(id=row.customer_id).first()
        if customer is None:
            return AtSend(cancel="the customer is gone")
        if customer.erased_at is not None:  # for every message, a service one too
            return AtSend(cancel=SINCE_QUEUED["erased"])
        if row.kind != MARKETING or (no := _their_no(customer)) is None:
            return None
        return AtSend(cancel=SINCE_QUEUED[no.reason])


# The customer's no (``_their_no``), said of a message queued before it.
SINCE_QUEUED = {
    "blacklisted": "blacklisted since it was queued",
    "opted_out": "the customer said STOP since it was queued",
    "no_consent": "the customer's consent was withdrawn since it was queued",
    "erased": "the customer's data was erased since it was queued",
}


def _within(last: datetime | None, now: datetime, window: timedelta) -> bool:
    return last is not None and now - last < window


async def claim(
    customer_id: int,
    by: str,
    kind: str,
    now: datetime,
    rules: Rules,
    *,
    override_reason: str | None = None,
) -> Refusal | None:
    """Claim the right to contact the customer now; None when granted (and recorded),
    else why not. ``override_reason`` (an admin's) sets the cooldown and the weekly cap
    aside, never the customer's own no.

    The weekly cap is read first; the conditional update on the cooldown then lets only
    one of several racing claimers through, so the cap cannot be overrun by a race
    while the cooldown is at least a moment long."""
    if override_reason is None and (capped := await _weekly_cap(customer_id, now, rules)):
        return _their_no(await Customer.get(id=customer_id)) or capped
    rested = Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lte=now - rules.cooldown)
    condition = _open_to_marketing() if override_reason else _open_to_marketing() & rested
    won = await Customer.filter(condition, id=customer_id).update(
        last_contacted_at=now, last_contacted_by=by
    )
    if won:
        await Contact.create(
            customer_id=customer_id, by=by, kind=kind, override_reason=override_reason, at=now
        )
        return None
    customer = await Customer.get(id=customer_id)
    return _their_no(customer) or _cooldown(customer, now, rules) or Refusal("cooldown")


async def claim_many(
    customer_ids: Sequence[int], by: str, kind: str, now: datetime, rules: Rules
) -> dict[int, Refusal | None]:
    """``claim`` for a campaign's batch of customers, in four statements whatever the
    batch's size: the weekly cap read for all, one conditional UPDATE that returns whom
    it claimed, the contacts written, and the losers read back to say why. Each customer
    is claimed at most once. Run it inside the transaction that queues the messages."""
    ids = list(dict.fromkeys(customer_ids))
    weeks = await _weeks(ids, now)
    capped = {cid: _capped(weeks[cid], rules) for cid in ids if len(weeks[cid]) >= rules.weekly_cap}
    rested = Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lte=now - rules.cooldown)
    candidates = [cid for cid in ids if cid not in capped]
    won: set[int] = set()
    if candidates:
        update = Customer.filter(_open_to_marketing() & rested, id__in=candidates).update(
            last_contacted_at=now, last_contacted_by=by
        )
        won = await updated_ids(update)
    if won:
        await Contact.bulk_create(
            [Contact(customer_id=cid, by=by, kind=kind, at=now) for cid in ids if cid in won]
        )
    lost = {c.id: c for c in await Customer.filter(id__in=[i for i in ids if i not in won])}
    answers: dict[int, Refusal | None] = {}
    for cid in ids:
        if cid in won:
            answers[cid] = None
        elif (customer := lost.get(cid)) is None:
            answers[cid] = Refusal("gone")
        else:
            answers[cid] = (
                _their_no(customer)
                or capped.get(cid)
                or _cooldown(customer, now, rules)
                or Refusal("cooldown")
            )
    return answers


async def would_refuse_many(
    customers: Sequence[Customer], now: datetime, rules: Rules
) -> dict[int, Refusal | None]:
    """``would_refuse`` for a batch (a dry run), in one statement."""
    weeks = await _weeks([c.id for c in customers], now)
    return {
        c.id: _their_no(c)
        or _cooldown(c, now, rules)
        or (_capped(weeks[c.id], rules) if len(weeks[c.id]) >= rules.weekly_cap else None)
        for c in customers
    }


async def would_refuse(customer: Customer, now: datetime, rules: Rules) -> Refusal | None:
    """The refusal a claim would meet now, without claiming (for a dry run)."""
    return (
        _their_no(customer)
        or _cooldown(customer, now, rules)
        or await _weekly_cap(customer.id, now, rules)
    )


def _their_no(customer: Customer) -> Refusal | None:
    """The customer's own no (or the shop's blacklist): never set aside."""
    if customer.blacklisted:
        return Refusal("blacklisted")
    if customer.opted_out_at is not None:
        return Refusal("opted_out", at=customer.opted_out_at)
    if not customer.consent_marketing:
        return Refusal("no_consent")
    if customer.erased_at is not None:
        return Refusal("erased")
    return None


def cooldown(customer: Customer, now: datetime, rules: Rules) -> Refusal | None:
    """The cooldown the customer is in now (who contacted them, when, until when), if any:
    read from the customer row as loaded."""
    return _cooldown(customer, now, rules)


def _cooldown(customer: Customer, now: datetime, rules: Rules) -> Refusal | None:
    last = customer.last_contacted_at
    if last is None or last <= now - rules.cooldown:
        return None
    return Refusal("cooldown", by=customer.last_contacted_by, at=last, until=last + rules.cooldown)


async def _weekly_cap(customer_id: int, now: datetime, rules: Rules) -> Refusal | None:
    week = await Contact.filter(customer_id=customer_id, at__gt=now - WEEK).order_by("at")
    if len(week) < rules.weekly_cap:
        return None
    return _capped([(c.by, c.at) for c in week], rules)


async def _weeks(
    customer_ids: list[int], now: datetime
) -> defaultdict[int, list[tuple[str, datetime]]]:
    """Each customer's contacts of the last 7 days, oldest first: (by, at)."""
    weeks: defaultdict[int, list[tuple[str, datetime]]] = defaultdict(list)
    if customer_ids:
        rows = (
            await Contact.filter(customer_id__in=customer_ids, at__gt=now - WEEK)
            .order_by("at")
            .values_list("customer_id", "by", "at")
        )
        for cid, by, at in rows:
            weeks[cid].append((by, at))
    return weeks


def _capped(week: list[tuple[str, datetime]], rules: Rules) -> Refusal:
    """The weekly cap's refusal: who came last, and when the oldest contact leaves the
    rolling week."""
    if rules.weekly_cap <= 0 or not week:
        return Refusal("weekly_cap")
    (last_by, last_at), (_, first_at) = week[-1], week[-rules.weekly_cap]
    return Refusal("weekly_cap", by=last_by, at=last_at, until=first_at + WEEK)


def quiet_until(now: datetime, tz: ZoneInfo, quiet: tuple[time, time]) -> datetime | None:
    """When quiet hours (local, possibly across midnight) end, if ``now`` is inside
    them; None outside. Messages the shop starts wait until then, never dropped."""
    start, end = quiet
    if start == end:
        return None
    local = now.astimezone(tz)
    clock = local.time()
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tz)
