"""Moving an order on from the agent's chat: /lunas (payment checked), /ongkir (the
shipping the team worked out), /resi (shipped, with the courier's tracking number) and
/status for any other step. The customer is told each time, in their own language."""

from __future__ import annotations

from bot.agents.commands import Usage
from bot.agents.turn import AgentTurn
from bot.conversation.payment import payment_due_text
from crm_core.customers.records import reachable_chat
from crm_core.errors import InputError
from crm_core.models import Customer, Order
from crm_core.outreach.contact_policy import Service
from crm_core.outreach.outbox import enqueue
from crm_core.sales.money import parse_rupiah
from crm_core.sales.orders import change_status, find_order, set_shipping_fee, ship
from crm_core.staff.audit import audit

# The words agents use for a status, in either language.
STATUS_WORDS = {
    "lunas": "dibayar", "bayar": "dibayar", "paid": "dibayar",
    "kirim": "dikirim", "shipped": "dikirim", "sent": "dikirim",
    "done": "selesai", "diterima": "selesai", "delivered": "selesai", "complete": "selesai",
    "cancel": "batal", "cancelled": "batal", "dibatalkan": "batal",
}  # fmt: skip


async def _order(reference: str) -> Order:
    order = await find_order(reference)
    if order is None:
        raise InputError("order_not_found", reference=reference)
    return order


async def tell_customer(turn: AgentTurn, customer: Customer, text: str, key: str) -> bool:
    """Send ``text`` to the customer through the outbox, in the chat they used last: a
    service message about their own order, so no cooldown, while WhatsApp's window
    still applies at send time (the dispatcher holds it for a template after 24 hours).
    False when they have no chat to be told in."""
    chat = await reachable_chat(customer.id)
    if chat is None:
        return False
    await enqueue(
        chat.channel, chat.address, text, turn.now, service=Service.ANSWER, customer_id=customer.id,
        dedupe_key=key,
    )  # fmt: skip
    return True


async def status(turn: AgentTurn, args: str) -> None:
    """``/status 12 dikirim`` (or ``lunas``, ``paid``, ``kirim``...)."""
    words = args.split()
    if len(words) != 2:
        raise Usage
    await _move(turn, words[0], STATUS_WORDS.get(words[1].casefold(), words[1].casefold()))


async def paid(turn: AgentTurn, args: str) -> None:
    """``/lunas 12``: the payment is checked; the same as ``/status 12 dibayar``."""
    words = args.split()
    if len(words) != 1:
        raise Usage
    await _move(turn, words[0], "dibayar")


async def _move(turn: AgentTurn, reference: str, new_status: str) -> None:
    order = await _order(reference)
    if new_status == "dibayar" and order.status == "batal":
        raise InputError("paid_after_cancel", id=order.id)
    order = await change_status(order.id, new_status, turn.now, by=turn.agent.name)
    customer = order.customer
    await audit(turn.agent, "order.status", turn.now, customer_id=customer.id, order=order.id,
                status=order.status)  # fmt: skip
    text = turn.texts.render("order_status", customer.language, order=order, customer=customer)
    told = await tell_customer(turn, customer, text, f"order:{order.id}:{order.status}")
    turn.say("agent_status_changed", order=order, customer=customer, told=told)


async def shipped(turn: AgentTurn, args: str) -> None:
    """``/resi 12 JNE JP1234567890``: the parcel left; the customer gets the number."""
    words = args.split()
    if len(words) < 3:
        raise Usage
    order = await _order(words[0])
    if order.status in ("batal", "selesai"):
        raise InputError("nothing_to_ship", id=order.id, status=order.status)
    order = await ship(order, " ".join(words[1:-1]), words[-1], turn.now, by=turn.agent.name)
    customer = order.customer
    await audit(turn.agent, "order.ship", turn.now, customer_id=customer.id, order=order.id,
                courier=order.courier)  # fmt: skip
    text = turn.texts.render("order_shipped", customer.language, order=order, customer=customer)
    told = await tell_customer(turn, customer, text, f"order:{order.id}:shipped:{order.tracking}")
    turn.say("agent_status_changed", order=order, customer=customer, told=told)


async def shipping(turn: AgentTurn, args: str) -> None:
    """``/ongkir 12 15000`` (or ``15rb``): the shipping of an order placed while the
    team works it out; the customer gets the total and how to pay."""
    words = args.split(maxsplit=1)
    if len(words) != 2:
        raise Usage
    fee = parse_rupiah(words[1])
    if fee is None:
        raise InputError("amount_unreadable", text=words[1])
    order = await _order(words[0])
    order = await set_shipping_fee(order, fee, turn.now)
    customer = order.customer
    await audit(turn.agent, "order.shipping", turn.now, customer_id=customer.id, order=order.id,
                fee=fee)  # fmt: skip
    text = payment_due_text(turn.texts, turn.shop, customer, order)
    told = await tell_customer(turn, customer, text, f"order:{order.id}:shipping:{fee}")
    turn.say("agent_shipping_set", order=order, customer=customer, told=told)
