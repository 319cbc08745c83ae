"""The one gate for every message the shop starts (an agent's /kirim now, campaigns
later): nobody, person or machine, contacts a customer twice inside the cooldown, and
never one who is blacklisted, opted out or did not consent to marketing.

A claim is one conditional UPDATE of the customer row: two agents or two instances
racing for the same customer both run it, and exactly one changes the row. The loser is
told who won and until when. Replies to a customer who wrote in are service, not contact,
and never pass through here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from crm_core.models import Contact, Customer
from crm_core.store import updated_ids


@dataclass(frozen=True)
class Refusal:
    reason: str  # blacklisted, opted_out, no_consent, cooldown, weekly_cap
    by: str | None = None  # who contacted them last
    at: datetime | None = None  # when
    until: datetime | None = None  # when they may be contacted again


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
