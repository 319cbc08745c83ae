"""Finding customers for the shop's staff: by a reference (id, phone or name) and by a
search across name, phone, city and tags."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from crm_core.customers.cities import normalise_city
from crm_core.customers.phones import try_normalize_phone
from crm_core.errors import Ambiguous, NotFound
from crm_core.models import Customer
from crm_core.privacy.sealing import TAIL, phone_index, tail_index

PAGE_SIZE = 10
LIVE = Q(merged_into_id__isnull=True)  # a folded record is not a customer any more


async def resolve(reference: str) -> Customer:
    """``#12`` or ``12`` (the id), a phone in any form, or a name: exactly one customer,
    else NotFound, or Ambiguous with the matches to list."""
    text = " ".join(reference.split())
    if not text:
        raise NotFound("", "customer_missing")
    number = text.removeprefix("#")
    # "#812" and "812" are ids; "0812..." and "+62..." are phones, however short.
    if number.isdecimal() and len(number) <= 9 and (text.startswith("#") or number[0] != "0"):
        found = await Customer.filter(LIVE, id=int(number)).first()
        if found is not None:
            return found
    phone = try_normalize_phone(text)
    if phone is not None:
        found = await Customer.filter(LIVE, phone_index=phone_index(phone)).first()
        if found is not None:
            return found
    named = await Customer.filter(LIVE, name__icontains=text[:80]).order_by("id").limit(11)
    exact = [c for c in named if (c.name or "").casefold() == text.casefold()]
    if len(exact) == 1:
        return exact[0]
    if len(named) == 1:
        return named[0]
    if named:
        raise Ambiguous(text, list(named))
    raise NotFound(text)


@dataclass(frozen=True)
class Page:
    customers: list[Customer]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


async def search(text: str, page: int = 1) -> Page:
    """Customers whose name, phone, city or a tag holds ``text``, newest first."""
    fragment = " ".join(text.split())[:80]
    match = (
        Q(name__icontains=fragment)
        | Q(display_name__icontains=fragment)
        | Q(city__icontains=fragment)
        | Q(city_typed__icontains=fragment)
        | Q(tags__name__icontains=fragment)
    )
    if city := normalise_city(fragment):
        match |= Q(city=city)  # "sby" finds Surabaya's customers, however they wrote it
    # Phones are sealed in the store: a whole number, in any written form, finds its
    # owner through the blind index; the end of one (four digits or more) narrows the
    # search to the few whose last four digits hash alike, whose numbers are then read.
    if (phone := try_normalize_phone(fragment)) is not None:
        match |= Q(phone_index=phone_index(phone))
    elif len(digits := "".join(ch for ch in fragment if ch.isdecimal())) >= TAIL:
        ending = await Customer.filter(LIVE, phone_tail_index=tail_index(digits)).only(
            "id", "phone"
        )
        match |= Q(id__in=[c.id for c in ending if (c.phone or "").endswith(digits)])
    query = Customer.filter(LIVE).filter(match).distinct()
    total = await query.count()
    page = max(1, page)
    rows = await query.order_by("-id").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    return Page(list(rows), total, page)
