"""The shop's people and what they did: agents, and the append-only audit log."""

from __future__ import annotations

from typing import Any, ClassVar

from tortoise import fields
from tortoise.models import Model

from crm_core.models.customers import Customer
from crm_core.models.sealed import BlindIndexed, IndexedManager, Sealable, SealedJSON, SealedText
from crm_core.privacy.sealing import phone_index

ROLES = ("admin", "agent")


class Agent(BlindIndexed):
    """A sales agent or the owner, recognised by their Telegram id or WhatsApp number."""

    INDEXED_BY: ClassVar[dict[str, tuple[str, ...]]] = {"phone": ("phone_index",)}  # kept by save()
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)
    role = fields.CharField(max_length=8, default="agent")  # admin, agent
    telegram_id = fields.BigIntField(null=True, unique=True)
    phone = SealedText(null=True)  # E.164; sealed, found through phone_index
    phone_index = fields.CharField(max_length=64, null=True, unique=True)
    language = fields.CharField(max_length=2, default="id")
    active = fields.BooleanField(default=True)
    # Notices of new orders, payments and cancels (``/notif off`` mutes them); messages
    # relayed from a customer they are talking to still reach them.
    notify = fields.BooleanField(default=True)
    # Their last message to the bot: WhatsApp's 24-hour window holds for agents too.
    last_inbound_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "agent"
        manager = IndexedManager()

    @staticmethod
    def blind_indexes(values: dict[str, Any]) -> dict[str, str | None]:
        return {"phone_index": phone_index(values["phone"])} if "phone" in values else {}

    def set_indexes(self) -> None:
        self.phone_index = phone_index(self.phone)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class AuditEvent(Sealable):
    """Who did what to whom, and when. Rows are only ever added."""

    id = fields.BigIntField(primary_key=True)
    agent: fields.ForeignKeyNullableRelation[Agent] = fields.ForeignKeyField(
        "langgan.Agent", related_name="audit_events", null=True, on_delete=fields.SET_NULL
    )
    actor = fields.CharField(max_length=80)  # the agent's name then, or "cli", "system"
    action = fields.CharField(max_length=40, db_index=True)
    customer_id = fields.IntField(null=True, db_index=True)  # kept after an erasure
    detail: dict[str, Any] = SealedJSON(default=dict)  # type: ignore[assignment]
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "audit_event"


class CustomerTag(Model):
    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="tags", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=40, db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "customer_tag"
        unique_together = (("customer_id", "name"),)


class Reminder(Sealable):
    """An agent's note to self about a customer, delivered to their chat when due."""

    id = fields.IntField(primary_key=True)
    agent: fields.ForeignKeyRelation[Agent] = fields.ForeignKeyField(
        "langgan.Agent", related_name="reminders", on_delete=fields.CASCADE
    )
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="reminders", on_delete=fields.CASCADE
    )
    note = SealedText()
    due_at = fields.DatetimeField(db_index=True)
    status = fields.CharField(max_length=8, default="pending", db_index=True)  # pending, sent
    created_at = fields.DatetimeField()

    class Meta:
        table = "reminder"
        indexes = (("agent_id", "status"), ("customer_id",))
