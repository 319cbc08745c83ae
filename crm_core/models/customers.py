"""The customer record and what hangs off it: consent, notes, merges."""

from __future__ import annotations

from typing import Any, ClassVar

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from crm_core.models.sealed import BlindIndexed, IndexedManager, Sealable, SealedText
from crm_core.privacy.sealing import email_index, phone_index, phone_tail_index


class Customer(BlindIndexed):
    # kept by save()
    INDEXED_BY: ClassVar[dict[str, tuple[str, ...]]] = {
        "phone": ("phone_index", "phone_tail_index"),
        "email": ("email_index",),
    }
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=120, null=True)
    # What the channel calls them (Telegram first name, WhatsApp profile name): offered
    # as the name, never taken as it without the customer saying so.
    display_name = fields.CharField(max_length=120, null=True)
    phone = SealedText(null=True)  # E.164; sealed, found through phone_index
    # Blind indexes (keyed hashes) of the phone and the email, kept by save(): the
    # store cannot compare sealed values, and a look-up must not read every row.
    phone_index = fields.CharField(max_length=64, null=True, unique=True)
    email_index = fields.CharField(max_length=64, null=True)
    # The hash of the phone's last four digits: an agent's search by the end of a number.
    phone_tail_index = fields.CharField(max_length=64, null=True)
    # Whether someone vouches for the phone being this person's: the channel (a WhatsApp
    # sender, a Telegram contact shared by its owner) or the shop (an agent, an import).
    # A number a customer merely typed is not, and never joins or opens another record.
    phone_verified = fields.BooleanField(default=False)
    telegram_id = fields.BigIntField(null=True, unique=True)
    email = SealedText(null=True)  # kept in lower case; sealed, found through email_index
    address = SealedText(null=True)
    # The city as one name to count by (crm_core.customers.cities: "Bdg" is Bandung), and as typed.
    city = fields.CharField(max_length=80, null=True, db_index=True)
    city_typed = fields.CharField(max_length=80, null=True)
    gender = fields.CharField(max_length=1, null=True)  # "f" or "m"
    age_band = fields.CharField(max_length=8, null=True)
    education = fields.CharField(max_length=80, null=True)
    occupation = fields.CharField(max_length=80, null=True)
    # Where they found the shop, as one of crm_core.customers.lead_sources.SOURCES, and as written.
    lead_source = fields.CharField(max_length=40, null=True, db_index=True)
    lead_source_typed = fields.CharField(max_length=80, null=True)
    language = fields.CharField(max_length=2, default="id")

    # Marketing consent: None until asked, then the answer, when, where and the words shown.
    consent_marketing = fields.BooleanField(null=True)
    consent_at = fields.DatetimeField(null=True)
    consent_text = fields.TextField(null=True)
    consent_channel = fields.CharField(max_length=16, null=True)
    opted_out_at = fields.DatetimeField(null=True)
    blacklisted = fields.BooleanField(default=False)
    blacklist_reason = fields.TextField(null=True)
    blacklisted_at = fields.DatetimeField(null=True)
    # The optional questions are offered once, never again: "how did you find us" at
    # first contact, email, gender and age after the first order.
    source_asked_at = fields.DatetimeField(null=True)
    optional_offered_at = fields.DatetimeField(null=True)

    # Running figures, kept current in the transaction that writes the order or message,
    # so sweeps and segments read one indexed row instead of every order ever taken.
    first_order_at = fields.DatetimeField(null=True)
    last_order_at = fields.DatetimeField(null=True, db_index=True)
    orders_count = fields.IntField(default=0)
    total_spent = fields.BigIntField(default=0)  # whole rupiah
    # The longest win-back (in days without an order) sent in this dormant spell, 0 for
    # none; back to 0 when the last order changes. The sweep skips those already won
    # back by this number, in the index, instead of asking the contacts of everyone who
    # has ever gone quiet.
    winback_days = fields.IntField(default=0, db_default=0)
    last_inbound_at = fields.DatetimeField(null=True)
    last_contacted_at = fields.DatetimeField(null=True, db_index=True)
    last_contacted_by = fields.CharField(max_length=80, null=True)

    assigned_agent_id = fields.IntField(null=True, db_index=True)  # who handles them
    merged_into: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    # Set when the person's data was erased on their request: the row stays, empty, so
    # orders keep a customer to belong to and sales figures still add up.
    erased_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "customer"
        # Declared here rather than as db_index: adding it is a CREATE INDEX, where
        # changing the column would make SQLite rebuild the table (and Tortoise's rebuild
        # drops the table's other indexes).
        indexes = (
            Index(fields=("email_index",)),
            Index(fields=("phone_tail_index",)),
            # The win-back sweep's: most recently lapsed first, those already won back
            # passed over in the index itself (32 ms, not 2.7 s, at 187,000 quiet
            # customers on SQLite).
            Index(fields=("last_order_at", "id", "winback_days")),
        )
        manager = IndexedManager()

    @staticmethod
    def blind_indexes(values: dict[str, Any]) -> dict[str, str | None]:
        """The index columns to write with these values (a bulk update)."""
        found: dict[str, str | None] = {}
        if "phone" in values:
            found["phone_index"] = phone_index(values["phone"])
            found["phone_tail_index"] = phone_tail_index(values["phone"])
        if "email" in values:
            found["email_index"] = email_index(values["email"])
        return found

    def set_indexes(self) -> None:
        """Bring the blind indexes in line with the phone and email: save() does it, and
        so must anything that writes customers without it (bulk_create)."""
        self.phone_index, self.email_index = phone_index(self.phone), email_index(self.email)
        self.phone_tail_index = phone_tail_index(self.phone)

    def __str__(self) -> str:
        return self.name or self.display_name or f"#{self.id}"


class ConsentEvent(Model):
    """Append-only: every consent given or withdrawn, with the exact wording shown."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="consent_events", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)  # marketing, opt_out, opt_in
    given = fields.BooleanField()
    wording = fields.TextField()
    channel = fields.CharField(max_length=16)
    recorded_by = fields.CharField(max_length=80)
    at = fields.DatetimeField()

    class Meta:
        table = "consent_event"
        indexes = (("customer_id", "at"),)


class Note(Sealable):
    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="notes", on_delete=fields.CASCADE
    )
    author = fields.CharField(max_length=80)  # the agent's name when they wrote it
    agent_id = fields.IntField(null=True)
    body = SealedText()
    created_at = fields.DatetimeField()

    class Meta:
        table = "note"
        indexes = (("customer_id", "created_at"),)


class CustomerMerge(Model):
    """The record of two customer rows becoming one, and what moved."""

    id = fields.IntField(primary_key=True)
    kept: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="merges", on_delete=fields.CASCADE
    )
    merged_id = fields.IntField()
    reason = fields.CharField(max_length=200)
    moved: fields.Field[dict[str, int]] = fields.JSONField()
    at = fields.DatetimeField()

    class Meta:
        table = "customer_merge"
