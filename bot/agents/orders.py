"""Orders from the agent's chat: /order records a phone or shop-counter order, /status
moves one on and tells the customer in their language."""

from __future__ import annotations

from bot.agents.commands import Usage, command, split_reference
from bot.agents.turn import AgentTurn
from crm_core.agents import audit
from crm_core.catalog import load_catalog, match_order_text
from crm_core.customers import reachable_chat
from crm_core.directory import resolve
from crm_core.errors import InputError
from crm_core.orders import Shipping, change_status, place_order
from crm_core.outbox import enqueue


@command("order", "order")
async def record_order(turn: AgentTurn, args: str) -> None:
    """``/order CUSTOMER: kaos hitam L 2``, delivered to the address on their record."""
    reference, text = split_reference(args)
    if not reference or not text:
        raise Usage
    customer = await resolve(reference)
    line = match_order_text(text, await load_catalog())
    if line is None:
        raise InputError(f"no single product in the catalog matches {text!r}")
    if not line.complete:
        missing = [
            what
            for what, needed in (
                ("colour", line.product.colours and not line.colour),
                ("size", line.product.sizes and not line.size),
                ("quantity", not line.quantity),
            )
            if needed
        ]
        raise InputError(f"{line.product.name}: say the {' and '.join(missing)}")
    if not (customer.name and customer.address and customer.city):
        raise InputError("the customer has no name, address or city yet: /pelanggan shows what")
    if customer.blacklisted:
        raise InputError("the customer is blacklisted")
    shipping = Shipping(customer.name, customer.address, customer.city, customer.phone)
    order = await place_order(customer, [line], shipping, "agent", turn.now, by=turn.agent.name)
    await audit(turn.agent, "order.add", turn.now, customer_id=customer.id, order=order.id)
    turn.say("agent_order_added", order=order, line=line, customer=customer)


@command("status", "status")
async def status(turn: AgentTurn, args: str) -> None:
    """``/status 12 dikirim``: the customer is told in their own language."""
    words = args.split()
    number = words[0].lstrip("#") if words else ""
    if len(words) != 2 or not number.isdecimal() or len(number) > 9:
        raise Usage
    order = await change_status(
        int(words[0].lstrip("#")), words[1].casefold(), turn.now, by=turn.agent.name
    )
    customer = order.customer
    await audit(turn.agent, "order.status", turn.now, customer_id=customer.id, order=order.id,
                status=order.status)  # fmt: skip
    chat = await reachable_chat(customer.id)
    told = chat is not None
    if chat is not None:
        # Service about their own order: no cooldown, and WhatsApp's window still applies
        # at send time (the dispatcher holds it for a template outside 24 hours).
        text = turn.texts.render("order_status", customer.language, order=order, customer=customer)
        await enqueue(
            chat.channel,
            chat.address,
            text,
            turn.now,
            kind="service",
            customer_id=customer.id,
            dedupe_key=f"order:{order.id}:{order.status}",
        )
    turn.say("agent_status_changed", order=order, customer=customer, told=told)
