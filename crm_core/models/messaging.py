"""The message log and each chat's conversation state."""

from __future__ import annotations

from typing import Any, ClassVar

from tortoise import fields

from crm_core.models.customers import Customer
from crm_core.models.sealed import BlindIndexed, IndexedManager, Sealable, SealedJSON, SealedText
from crm_core.privacy.sealing import chat_index


class Message(Sealable):
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
    body = SealedText()
    external_id = fields.CharField(max_length=64, null=True)
    media_url = fields.TextField(null=True)
    media_type = fields.CharField(max_length=80, null=True)
    # received (in); queued, sent, delivered, read, failed, undelivered, needs_template, and
    # unknown (a send a crash cut off; see crm_core.outreach.outbox) (out)
    status = fields.CharField(max_length=16)
    error_code = fields.CharField(max_length=16, null=True)  # the provider's, e.g. Twilio 63016
    error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    expired_at = fields.DatetimeField(null=True)  # when retention emptied the body

    class Meta:
        table = "message"
        indexes = (("customer_id", "created_at"),)
        unique_together = (("channel", "direction", "external_id"),)


class Conversation(BlindIndexed):
    """One chat: a (channel, address) pair, the customer behind it, and where that chat
    is in a flow.

    It is also the channel identity: the unique (channel, address) is what makes one
    person one record however they reach us, and a merge moves the chat to the record
    kept. State lives here, not in memory, so any instance can take the next message
    and a restart loses nothing; reading a message's chat and customer is one query."""

    INDEXED_BY: ClassVar[dict[str, tuple[str, ...]]] = {
        "channel": ("address_index",),
        "address": ("address_index",),
    }  # by save()
    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    address = SealedText()  # Telegram chat id, E.164 phone, ...: sealed
    # The blind index of (channel, address), kept by save(): how an incoming message
    # finds its chat, and what makes one chat one row (two first messages racing to
    # open it meet this unique index).
    address_index = fields.CharField(max_length=64, null=True, unique=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="conversations", on_delete=fields.CASCADE
    )
    customer_id: int  # the key column Tortoise makes for ``customer``
    state = fields.CharField(max_length=32, default="new")
    data: dict[str, Any] = SealedJSON(default=dict)  # type: ignore[assignment]
    # The customer's last message in this chat: WhatsApp allows free text only within 24
    # hours of it, per chat.
    last_inbound_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "conversation"
        # Kept from before addresses were sealed; sealed values never repeat, so the
        # unique address_index is what holds now.
        unique_together = (("channel", "address"),)
        indexes = (("customer_id", "last_inbound_at"),)  # the chat a customer is reached in
        manager = IndexedManager()

    @staticmethod
    def blind_indexes(values: dict[str, Any]) -> dict[str, str | None]:
        if "address" in values or "channel" in values:
            raise TypeError("a chat's address is changed by saving the chat, not in bulk")
        return {}

    def set_indexes(self) -> None:
        self.address_index = chat_index(self.channel, self.address)
