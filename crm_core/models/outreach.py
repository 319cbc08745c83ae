"""Messages the shop starts: the contact record the policy reads, and the outbox."""

from __future__ import annotations

from tortoise import fields

from crm_core.models.customers import Customer
from crm_core.models.sealed import Sealable, SealedText
from crm_core.models.staff import Agent


class Contact(Sealable):
    """Every proactive message a customer was sent or is about to be: who decided it
    (an agent's name, a campaign), why, and when. The cooldown is read from here and
    from the customer's ``last_contacted_at``."""

    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="contacts", on_delete=fields.CASCADE
    )
    by = fields.CharField(max_length=80)
    kind = fields.CharField(max_length=24)  # agent, or the campaign's name
    override_reason = SealedText(null=True)  # an admin's, when the cooldown was set aside
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "contact"
        indexes = (("customer_id", "at"),)


class OutboxMessage(Sealable):
    """A message waiting to go out to a chat, sent by the dispatcher with retries. A
    crash between deciding and sending loses nothing: the row is still here."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    address = SealedText()
    customer_id = fields.IntField(null=True, db_index=True)
    # marketing (passed the contact policy: checked again when sent), service (about
    # their own order or question), staff (to an agent)
    kind = fields.CharField(max_length=10, default="service")
    body = SealedText()
    # The shop's approved WhatsApp template standing in for the body once the chat's
    # 24-hour window has closed (WhatsApp takes no free text then): its content id and
    # the values of its {{1}}, {{2}}, ... as they were when the message was decided.
    content_sid = fields.CharField(max_length=64, null=True)
    content_variables: dict[str, str] | None = fields.JSONField(null=True)
    # A picture sent with the text: a customer's photo relayed to an agent (a Telegram
    # file id, or a link).
    media_url = fields.TextField(null=True)
    # The buttons under a reply (``{"choices": [...], "contact": "..."}``), Telegram's.
    keyboard: dict[str, object] | None = fields.JSONField(null=True)
    # pending, sending, sent, failed, needs_template, cancelled, and unknown: a message
    # the shop started whose send was cut off by a crash (Telegram takes no idempotency
    # key, so it may or may not have arrived); never sent again by itself.
    status = fields.CharField(max_length=16, default="pending", db_index=True)
    attempts = fields.IntField(default=0)
    # Who is sending it (``host:pid:token``), while it is ``sending``: a claim whose
    # process is gone is taken back at once, not after the lease (see crm_core.outreach.outbox).
    claimed_by = fields.CharField(max_length=120, null=True)
    next_attempt_at = fields.DatetimeField(db_index=True)
    dedupe_key = fields.CharField(max_length=120, null=True, unique=True)
    message_id = fields.BigIntField(null=True)  # the row in the message log
    error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    expired_at = fields.DatetimeField(null=True)  # when retention emptied the body

    class Meta:
        table = "outbox"


class Ticket(Sealable):
    """A customer who asked for a person or complained, waiting for the shop's team."""

    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="tickets", on_delete=fields.CASCADE
    )
    reason = fields.CharField(max_length=16)  # person, complaint
    excerpt = SealedText()  # what they wrote, as the team first sees it
    status = fields.CharField(max_length=8, default="open", db_index=True)  # open, closed
    opened_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    closed_by = fields.CharField(max_length=80, null=True)
    # The agent who answered first, and so handles it; until then every agent is told.
    handler: fields.ForeignKeyNullableRelation[Agent] = fields.ForeignKeyField(
        "langgan.Agent", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    # The last message either way: a hand-off quiet for too long ends by itself.
    last_message_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ticket"
        indexes = (("customer_id", "status"),)
