"""The one gate for every message the shop starts (an agent's /kirim now, campaigns
later): nobody, person or machine, contacts a customer twice inside the cooldown, and
never one who is blacklisted, opted out or did not consent to marketing.

A claim is one conditional UPDATE of the customer row: two agents or two instances
racing for the same customer both run it, and exactly one changes the row. The loser is
told who won and until when. Replies to a customer who wrote in are service, not contact,
and never pass through here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q

from crm_core.models import Contact, Customer


@dataclass(frozen=True)
class Refusal:
    reason: str  # blacklisted, opted_out, no_consent, cooldown
    by: str | None = None  # who contacted them last
    at: datetime | None = None  # when
    until: datetime | None = None  # when they may be contacted again


def _open_to_marketing() -> Q:
    return Q(blacklisted=False, opted_out_at__isnull=True, consent_marketing=True)


async def claim(
    customer_id: int,
    by: str,
    kind: str,
    now: datetime,
    cooldown: timedelta,
    *,
    override_reason: str | None = None,
) -> Refusal | None:
    """Claim the right to contact the customer now; None when granted (and recorded),
    else why not. ``override_reason`` (an admin's) sets the cooldown aside, never the
    customer's own no."""
    rested = Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lte=now - cooldown)
    condition = _open_to_marketing() if override_reason else _open_to_marketing() & rested
    won = await Customer.filter(condition, id=customer_id).update(
        last_contacted_at=now, last_contacted_by=by
    )
    if won:
        await Contact.create(
            customer_id=customer_id, by=by, kind=kind, override_reason=override_reason, at=now
        )
        return None
    return await explain(customer_id, now, cooldown)


async def explain(customer_id: int, now: datetime, cooldown: timedelta) -> Refusal:
    customer = await Customer.get(id=customer_id)
    if customer.blacklisted:
        return Refusal("blacklisted")
    if customer.opted_out_at is not None:
        return Refusal("opted_out", at=customer.opted_out_at)
    if not customer.consent_marketing:
        return Refusal("no_consent")
    last = customer.last_contacted_at
    return Refusal(
        "cooldown",
        by=customer.last_contacted_by,
        at=last,
        until=last + cooldown if last else None,
    )
