"""The shop's people and what they did: agents, and the append-only audit log."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from crm_core.models.customers import Customer

ROLES = ("admin", "agent")


class Agent(Model):
    """A sales agent or the owner, recognised by their Telegram id or WhatsApp number."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)
    role = fields.CharField(max_length=8, default="agent")  # admin, agent
    telegram_id = fields.BigIntField(null=True, unique=True)
    phone = fields.CharField(max_length=20, null=True, unique=True)  # E.164
    language = fields.CharField(max_length=2, default="id")
    active = fields.BooleanField(default=True)
    # Their last message to the bot: WhatsApp's 24-hour window holds for agents too.
    last_inbound_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "agent"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class AuditEvent(Model):
    """Who did what to whom, and when. Rows are only ever added."""

    id = fields.BigIntField(primary_key=True)
    agent: fields.ForeignKeyNullableRelation[Agent] = fields.ForeignKeyField(
        "langgan.Agent", related_name="audit_events", null=True, on_delete=fields.SET_NULL
    )
    actor = fields.CharField(max_length=80)  # the agent's name then, or "cli", "system"
    action = fields.CharField(max_length=40, db_index=True)
    customer_id = fields.IntField(null=True, db_index=True)  # kept after an erasure
    detail: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
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


class Reminder(Model):
    """An agent's note to self about a customer, delivered to their chat when due."""

    id = fields.IntField(primary_key=True)
    agent: fields.ForeignKeyRelation[Agent] = fields.ForeignKeyField(
        "langgan.Agent", related_name="reminders", on_delete=fields.CASCADE
    )
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="reminders", on_delete=fields.CASCADE
    )
    note = fields.TextField()
    due_at = fields.DatetimeField(db_index=True)
    status = fields.CharField(max_length=8, default="pending", db_index=True)  # pending, sent
    created_at = fields.DatetimeField()

    class Meta:
        table = "reminder"
        indexes = (("agent_id", "status"), ("customer_id",))
