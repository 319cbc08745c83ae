"""Customers from the shop's spreadsheet, in batches: one query finds the batch's
existing customers, one statement inserts the new ones, one transaction per batch.

The merge rule: a row is the same customer as a record with the same phone, or else the
same email. The row only fills what the record lacks; whatever the record already holds
stays, because it was told to the bot by the customer or entered by an agent, and an old
sheet is the least current of the three. An imported phone is not verified (nobody has
proven it is this person's), and consent is recorded only from an explicit consent
column, as an event naming the file."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tortoise.exceptions import BaseORMException
from tortoise.transactions import in_transaction

from crm_core.customers.cities import read_city
from crm_core.customers.lead_sources import read_source
from crm_core.errors import CellError, InputError
from crm_core.models import ConsentEvent, Customer, CustomerTag
from crm_core.privacy.erasure import erased_phones
from crm_core.privacy.sealing import email_index, phone_index
from crm_core.sheets import cells as sheet_cells
from crm_core.sheets.columns import aliases, keys, known
from crm_core.sheets.files import open_sheet
from crm_core.sheets.tally import ImportSummary, Progress, as_problem, no_progress
from crm_core.staff.actions import clean_tag
from crm_core.store import plan_for_own_values

BATCH = 1000
# Every header a column goes by, in data/sheet_columns.toml: the export's own in both
# languages and the wordings shops use ("No. HP", "Nomor WA", "Izin Promo", "Kota/Kab").
PROFILE = ("name", "phone", "email", "address", "city")
PROFILE_ALIASES = aliases(*PROFILE)
CUSTOMER_ALIASES = aliases(*PROFILE, "gender", "age", "source", "consent", "langgan_id", "tags")
# In a list of customers, the address they ship to is their address.
CUSTOMER_ALIASES["address"] |= keys("ship_address")
# Columns that Langgan's own export writes but an import does not read: figures kept
# by the store itself, and a row number. Known, so they are not reported as unknown.
EXPORT_ONLY = known("orders", "total_spent", "first_order", "last_order", "customer_since",
                    "segment") | {"id", "no"}  # fmt: skip
# The sheet's column -> the customer's field, in the order rows are merged.
FIELDS = {"name": "name", "email": "email", "address": "address", "city": "city",
          "gender": "gender", "age": "age_band", "source": "lead_source"}  # fmt: skip
# Columns kept twice: the one name reports count by, and the words in the cell.
COUNTED = {"city": ("city_typed", read_city), "source": ("lead_source_typed", read_source)}
PARSERS: dict[str, Any] = {
    "phone": sheet_cells.phone,
    "email": sheet_cells.email,
    "gender": sheet_cells.gender,
    "age": sheet_cells.age_band,
    "source": sheet_cells.lead_source,  # as written; crm_core.customers.lead_sources counts it
    "consent": sheet_cells.yes_no,
    "name": lambda v: sheet_cells.text(v)[:120],
    "city": lambda v: sheet_cells.text(v)[:80],  # as written; crm_core.customers.cities counts it
    "address": lambda v: sheet_cells.text(v)[:1000],
    "langgan_id": sheet_cells.own_number,
    "tags": lambda v: _tags(sheet_cells.text(v)),
}


def _tags(text: str) -> frozenset[str]:
    """``vip, reseller`` (commas, semicolons or bars, as the export writes them or a shop
    types them): tags as agents' /tag makes them."""
    tags = set()
    for word in re.split(r"[,;|]", text):
        if word.strip():
            try:
                tags.add(clean_tag(word))
            except InputError as exc:
                raise CellError("cell_tag", value=word.strip(), reason=exc) from None
    return frozenset(tags)


def needs_identity(found: set[str]) -> InputError | None:
    if "phone" in found or "email" in found:
        return None
    return InputError("header_needs_identity")


@dataclass
class CustomerRow:
    row: int
    values: dict[str, Any] = field(default_factory=dict)  # sheet column -> parsed value

    @property
    def phone(self) -> str | None:
        return self.values.get("phone")

    @property
    def email(self) -> str | None:
        return self.values.get("email")

    @property
    def langgan_id(self) -> int | None:
        return self.values.get("langgan_id")


def parse_row(number: int, cells: dict[str, Any]) -> CustomerRow:
    """The row's non-empty cells, parsed; ValueError names the first bad one."""
    row = CustomerRow(number)
    for column, value in cells.items():
        if value is None or sheet_cells.text(value) == "":
            continue
        row.values[column] = PARSERS[column](value)
    if not row.phone and not row.email and not row.langgan_id:
        raise CellError("row_no_identity")
    return row


async def import_customers(
    path: Path,
    now: datetime,
    *,
    language: str = "id",
    progress: Progress = no_progress,
    batch_size: int = BATCH,
) -> ImportSummary:
    summary = ImportSummary()
    wording = f"imported from {path.name}"
    with open_sheet(path, CUSTOMER_ALIASES, EXPORT_ONLY, required=needs_identity) as sheet:
        summary.unknown_columns, summary.header_row = sheet.unknown, sheet.header_row
        seen: dict[int, int] = {}  # hash of a row's cells -> the row it was first on
        batch: list[CustomerRow] = []
        for number, cells in sheet.rows:
            values = {column: sheet.cell(cells, column) for column in sheet.columns}
            if all(sheet_cells.text(v) == "" for v in values.values()):
                continue  # a blank row: spacing, not data
            fingerprint = hash(tuple(sheet_cells.text(v).casefold() for v in values.values()))
            if fingerprint in seen:
                summary.problem(
                    number, InputError("row_repeated", row=seen[fingerprint]), bad=False
                )
                continue
            seen[fingerprint] = number
            try:
                batch.append(parse_row(number, values))
            except ValueError as exc:
                summary.problem(number, as_problem(exc))
            if len(batch) >= batch_size:
                await _load(batch, now, language, wording, summary)
                batch = []
                progress(number, sheet.total_rows)
        await _load(batch, now, language, wording, summary)
        progress(sheet.total_rows or 0, sheet.total_rows)
    summary.problems.sort(key=lambda p: p.row)
    return summary


async def _load(
    rows: list[CustomerRow], now: datetime, language: str, wording: str, summary: ImportSummary
) -> None:
    if not rows:
        return
    tally = ImportSummary()
    try:
        async with in_transaction() as db:
            await plan_for_own_values(db)
            await _load_batch(rows, now, language, wording, tally)
    except BaseORMException as exc:
        summary.refused((row.row for row in rows), exc)
        return
    summary.added += tally.added
    summary.merged += tally.merged
    summary.unchanged += tally.unchanged
    summary.bad += tally.bad
    summary.problems.extend(tally.problems)


async def _load_batch(
    rows: list[CustomerRow], now: datetime, language: str, wording: str, tally: ImportSummary
) -> None:
    by_phone, by_email, by_id = await _existing(rows)
    # A number an erased customer had is never brought back by a sheet; a person who
    # came back by writing in again holds it on a live record, found above.
    erased = await erased_phones({r.phone for r in rows if r.phone and r.phone not in by_phone})
    new: list[Customer] = []
    changed: dict[int, set[str]] = {}  # an existing customer's id -> fields filled
    tagged = await _tags_held([*by_phone.values(), *by_email.values(), *by_id.values()])
    tagging: list[tuple[Customer, frozenset[str]]] = []  # tags to add, once ids are known
    for row in rows:
        owner, email_owner = by_phone.get(row.phone or ""), by_email.get(row.email or "")
        if owner is not None and email_owner is not None and owner is not email_owner:
            tally.problem(
                row.row,
                InputError("row_two_customers", phone=_ref(owner), email=_ref(email_owner)),
            )
            continue
        customer = by_id.get(row.langgan_id or 0) or owner or email_owner
        if customer is None and not (row.phone or row.email):
            tally.problem(row.row, InputError("row_unknown_id", id=row.langgan_id))
            continue
        if customer is None and row.phone in erased:
            tally.problem(row.row, InputError("row_erased_customer"))
            continue
        held = tagged.get(_key(customer), set()) if customer is not None else set()
        tags = row.values.get("tags", frozenset()) - held
        if customer is None:
            customer = _new_customer(row, now, language, wording)
            new.append(customer)
            tally.added += 1
        else:
            filled = _fill(customer, row, now, wording)
            if customer.id is not None and filled:
                changed.setdefault(customer.id, set()).update(filled)
            if filled or tags:
                tally.merged += 1
            else:
                tally.unchanged += 1
        if tags:
            tagged.setdefault(_key(customer), set()).update(tags)
            tagging.append((customer, tags))
        if customer.phone:
            by_phone.setdefault(customer.phone, customer)
        if customer.email:
            by_email.setdefault(customer.email.casefold(), customer)
    await _write(new, changed, [*by_phone.values(), *by_email.values(), *by_id.values()],
                 wording, now, {id(c) for c, _ in tagging})  # fmt: skip
    # Tags are only ever added: a sheet without one takes nothing away from an agent's.
    await CustomerTag.bulk_create(
        [CustomerTag(customer_id=c.id, name=t, created_at=now) for c, ts in tagging for t in ts],
        ignore_conflicts=True,  # an agent tagged them the same a moment ago
    )


def _key(customer: Customer) -> tuple[str, int]:
    """A record in this batch: by its id, or, before it is written, by the object."""
    return ("id", customer.id) if customer.id else ("new", id(customer))


async def _tags_held(customers: list[Customer]) -> dict[tuple[str, int], set[str]]:
    """The tags the batch's known customers already have."""
    ids = {c.id for c in customers if c.id}
    held: dict[tuple[str, int], set[str]] = {}
    for tag in await CustomerTag.filter(customer_id__in=ids):
        held.setdefault(("id", tag.customer_id), set()).add(tag.name)  # type: ignore[attr-defined]
    return held


async def _existing(
    rows: list[CustomerRow],
) -> tuple[dict[str, Customer], dict[str, Customer], dict[int, Customer]]:
    """The batch's customers already in the store, by phone, by email (ignoring case) and
    by Langgan's number, in a query each. A record folded into another by a merge is not
    a customer."""
    phones = {row.phone for row in rows if row.phone}
    by_phone = {
        c.phone: c
        for c in await Customer.filter(
            phone_index__in=[phone_index(p) for p in phones], merged_into_id__isnull=True
        )
        if c.phone
    }
    # Emails are kept in lower case (by the bot and by this import), so an indexed exact
    # match is a match ignoring case.
    emails = {row.email for row in rows if row.email}
    by_email: dict[str, Customer] = {}
    if emails:
        matches = await Customer.filter(
            email_index__in=[email_index(e) for e in emails], merged_into_id__isnull=True
        )
        for customer in sorted(matches, key=lambda c: c.id):
            # One object per record: a row matching both ways must find the same one.
            customer = by_phone.get(customer.phone or "", customer)
            by_email.setdefault(customer.email or "", customer)
    by_id: dict[int, Customer] = {}
    numbers = {row.langgan_id for row in rows if row.langgan_id}
    if numbers:
        for customer in await Customer.filter(id__in=numbers, merged_into_id__isnull=True):
            known = by_phone.get(customer.phone or "") or by_email.get(
                (customer.email or "").casefold()
            )
            by_id[customer.id] = known if known and known.id == customer.id else customer
    return by_phone, by_email, by_id


def _new_customer(row: CustomerRow, now: datetime, language: str, wording: str) -> Customer:
    customer = Customer(
        phone=row.phone,
        # The shop's own records vouch for the number: when its owner first writes from
        # it on WhatsApp, they find this record, with its history (see start_conversation).
        phone_verified=row.phone is not None,
        language=language,
        created_at=now,
        updated_at=now,
        **_fields(row),
    )
    if "consent" in row.values:
        _consent(customer, row.values["consent"], now, wording)
    customer.set_indexes()  # most new customers go in by bulk_create, which skips save()
    return customer


def _fill(customer: Customer, row: CustomerRow, now: datetime, wording: str) -> set[str]:
    """Fill the record's empty fields from the row; never overwrite. Returns the fields
    filled."""
    filled = set()
    values = _fields(row)
    for column in row.values:
        name = FIELDS.get(column)
        if name is not None and getattr(customer, name) in (None, ""):
            names = [name, COUNTED[column][0]] if column in COUNTED else [name]
            for field_name in names:
                setattr(customer, field_name, values[field_name])
            filled.update(names)
    if row.phone and not customer.phone:
        # The phone was looked up and nobody has it (or this row would have found them).
        customer.phone, customer.phone_verified = row.phone, True  # the shop vouches
        filled.update({"phone", "phone_verified"})
    if "consent" in row.values and customer.consent_marketing is None:
        _consent(customer, row.values["consent"], now, wording)
        filled.update({"consent_marketing", "consent_at", "consent_text", "consent_channel"})
    if filled:
        customer.updated_at = now
        filled.add("updated_at")
    return filled


def _fields(row: CustomerRow) -> dict[str, Any]:
    """The customer's fields from the row: a city and a source both as counted and as
    written."""
    values = {}
    for column, value in row.values.items():
        if column in FIELDS:
            values[FIELDS[column]] = value
        if column in COUNTED:
            typed_field, read = COUNTED[column]
            values[FIELDS[column]], values[typed_field] = read(value)
    return values


def _consent(customer: Customer, given: bool, now: datetime, wording: str) -> None:
    customer.consent_marketing, customer.consent_at = given, now
    customer.consent_text, customer.consent_channel = wording, "import"


async def _write(
    new: list[Customer],
    changed: dict[int, set[str]],
    known: list[Customer],
    wording: str,
    now: datetime,
    tagged: set[int],
) -> None:
    # Customers with a consent answer or tags need their id for the event or the tags:
    # those are inserted one by one, the rest in one statement.
    with_consent = [c for c in new if c.consent_marketing is not None]
    one_by_one = [c for c in new if c.consent_marketing is not None or id(c) in tagged]
    chosen = {id(c) for c in one_by_one}  # by object: unsaved models all compare equal
    await Customer.bulk_create([c for c in new if id(c) not in chosen])
    for customer in one_by_one:
        await customer.save()
    existing = {c.id: c for c in _unique(known) if c.id}
    for customer_id, names in changed.items():
        await existing[customer_id].save(update_fields=sorted(names))
    consenting = [c for c in existing.values() if "consent_at" in changed.get(c.id, ())]
    events = [
        ConsentEvent(
            customer_id=c.id, kind="marketing", given=bool(c.consent_marketing),
            wording=wording, channel="import", recorded_by="import", at=now,
        )
        for c in [*with_consent, *consenting]
    ]  # fmt: skip
    if events:
        await ConsentEvent.bulk_create(events)


def _unique(customers: Iterable[Customer]) -> list[Customer]:
    return list({id(c): c for c in customers}.values())


def _ref(customer: Customer) -> str:
    return f"#{customer.id}" if customer.id else "on an earlier row"
