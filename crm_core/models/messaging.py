"""The message log and each chat's conversation state."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from crm_core.models.customers import Customer


class Message(Model):
    """Every message in and out, on every channel.

    ``external_id`` is the channel's id: for incoming messages the update's id (Telegram
    update_id, Twilio MessageSid), unique per channel, which makes this log the record of
    updates already handled; for outgoing ones the id the provider gave the sent message."""

    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    channel = fields.CharField(max_length=16)
    direction = fields.CharField(max_length=3)  # in, out
    kind = fields.CharField(max_length=16, default="text")
    body = fields.TextField()
    external_id = fields.CharField(max_length=64, null=True)
    media_url = fields.TextField(null=True)
    media_type = fields.CharField(max_length=80, null=True)
    # received (in); queued, sent, delivered, read, failed, undelivered, needs_template (out)
    status = fields.CharField(max_length=16)
    error_code = fields.CharField(max_length=16, null=True)  # the provider's, e.g. Twilio 63016
    error = fields.TextField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "message"
        indexes = (("customer_id", "created_at"),)
        unique_together = (("channel", "direction", "external_id"),)


class Conversation(Model):
    """One chat: a (channel, address) pair, the customer behind it, and where that chat
    is in a flow.

    It is also the channel identity: the unique (channel, address) is what makes one
    person one record however they reach us, and a merge moves the chat to the record
    kept. State lives here, not in memory, so any instance can take the next message
    and a restart loses nothing; reading a message's chat and customer is one query."""

    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    address = fields.CharField(max_length=64)  # Telegram chat id, E.164 phone, ...
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="conversations", on_delete=fields.CASCADE
    )
    state = fields.CharField(max_length=32, default="new")
    data: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    # The customer's last message in this chat: WhatsApp allows free text only within 24
    # hours of it, per chat.
    last_inbound_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "conversation"
        unique_together = (("channel", "address"),)
        indexes = (("customer_id", "last_inbound_at"),)  # the chat a customer is reached in
