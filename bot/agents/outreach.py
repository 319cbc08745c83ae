"""Reaching a customer from the agent's chat: /kirim (through the contact policy) and
/paksakirim (an admin setting the cooldown aside, with a reason); /balas, service to a
customer who wrote in, is in ``conversations``. Each message goes into the outbox in
the same transaction."""

from __future__ import annotations

from bot.agents.commands import Usage, customer_and_text, split_reference
from bot.agents.turn import AgentTurn
from crm_core.errors import InputError
from crm_core.models import Conversation, Customer
from crm_core.outreach.contact_policy import Gate, Permit
from crm_core.outreach.outbox import enqueue_permitted
from crm_core.staff.audit import audit

MAX_TEXT = 1_000


async def chat_of(turn: AgentTurn, customer: Customer, *, service: bool) -> Conversation:
    """The chat the customer used last, where a message from the shop can reach them."""
    return await Gate(turn.rules).chat_for(customer, turn.now, service=service)


def _message(text: str) -> str:
    text = text.strip()
    if not text:
        raise Usage
    if len(text) > MAX_TEXT:
        raise InputError("text_too_long", length=len(text), most=MAX_TEXT)
    return text


async def target(
    turn: AgentTurn, args: str, *, service: bool
) -> tuple[Customer, Conversation, str]:
    """``CUSTOMER: message`` (or without the colon): who, the chat to reach them in, and
    the message."""
    customer, text = await customer_and_text(args)
    message = _message(text)
    return customer, await chat_of(turn, customer, service=service), message


async def _send(turn: AgentTurn, args: str, *, override: str | None) -> None:
    customer, chat, message = await target(turn, args, service=False)
    gate = Gate(turn.rules)
    permit = await gate.permit(
        customer.id, chat, turn.agent.name, "agent", turn.now, override_reason=override
    )
    if not isinstance(permit, Permit):
        # Someone who wrote in lately is answered, not contacted: /balas is the way.
        wrote = gate.wrote_lately(customer.last_inbound_at, turn.now)
        turn.say("agent_send_refused", customer=customer, refusal=permit, wrote_lately=wrote)
        return
    # Quiet hours defer, never drop: the message waits in the outbox for the morning.
    wait_until = permit.not_before
    await enqueue_permitted(
        permit, message, turn.now,
        dedupe_key=f"agent:{turn.inbound.channel}:{turn.inbound.external_id}",
    )  # fmt: skip
    await audit(
        turn.agent, "customer.send", turn.now, customer_id=customer.id, channel=chat.channel,
        override_reason=override,
    )  # fmt: skip
    turn.say("agent_sent", customer=customer, channel=chat.channel, wait_until=wait_until)


async def send(turn: AgentTurn, args: str) -> None:
    await _send(turn, args, override=None)


async def force_send(turn: AgentTurn, args: str) -> None:
    """``/paksakirim CUSTOMER: reason | message``: past the cooldown, never past a no."""
    reference, rest = split_reference(args)
    reason, bar, text = rest.partition("|")
    if not bar or not reason.strip():
        raise Usage
    await _send(turn, f"{reference}: {text}", override=" ".join(reason.split())[:300])
