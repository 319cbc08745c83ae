"""Orders from the agent's chat: /order records a phone or shop-counter order, /status
moves one on and tells the customer in their language."""

from __future__ import annotations

from bot.agents.commands import Usage, command, split_reference
from bot.agents.turn import AgentTurn
from bot.understanding import Mention, Understanding, load_lexicon
from crm_core.agents import audit
from crm_core.catalog import MAX_QUANTITY, OrderLine, load_catalog
from crm_core.customers import reachable_chat
from crm_core.directory import resolve
from crm_core.errors import InputError
from crm_core.orders import Shipping, change_status, place_order
from crm_core.outbox import enqueue
from crm_core.stock import reserve


@command("order", "order")
async def record_order(turn: AgentTurn, args: str) -> None:
    """``/order CUSTOMER: kaos hitam L 2, hijab mocca 1``: a phone or shop-counter order
    of one or several items, read as a customer's message is, delivered to the address
    on their record. Every item must be clear, or nothing is saved."""
    reference, text = split_reference(args)
    if not reference or not text:
        raise Usage
    customer = await resolve(reference)
    reader = (
        turn.reader or Understanding(load_lexicon(turn.texts.shop_dir), await load_catalog()).read
    )
    mentions = [m for m in reader(text).items if m.products]
    if not mentions:
        raise InputError(f"no single product in the catalog matches {text!r}")
    lines, problems = [], []
    for mention in mentions:
        line, problem = _line(mention)
        if problem:
            problems.append(problem)
        elif line is not None:
            lines.append(line)
    if problems:
        raise InputError("; ".join(problems))
    if not (customer.name and customer.address and customer.city):
        raise InputError("the customer has no name, address or city yet: /pelanggan shows what")
    if customer.blacklisted:
        raise InputError("the customer is blacklisted")
    short = await reserve(lines, turn.now)
    if short:
        raise InputError(f"not enough left of {', '.join(short)}: nothing was saved")
    shipping = Shipping(customer.name, customer.address, customer.city, customer.phone)
    order = await place_order(customer, lines, shipping, "agent", turn.now, by=turn.agent.name)
    await audit(turn.agent, "order.add", turn.now, customer_id=customer.id, order=order.id)
    turn.say("agent_order_added", order=order, lines=lines, customer=customer)


def _line(mention: Mention) -> tuple[OrderLine | None, str | None]:
    """The order line a mention makes, or what is wrong with it."""
    if mention.product is None:
        names = " or ".join(p.name for p in mention.products)
        return None, f"say which: {names}"
    product = mention.product
    if not product.available:
        return None, f"{product.name} is sold out"
    chosen = {}
    for field, value, options in (
        ("colour", mention.colour, product.colours),
        ("size", mention.size, product.sizes),
    ):
        match = next((o for o in options if value and o.casefold() == value.casefold()), None)
        if value is not None and match is None and options:
            return None, f"{product.name} has no {field} {value} ({', '.join(options)})"
        if match is not None and not product.option_available(match):
            return None, f"{product.name} {match} is sold out"
        chosen[field] = match
    line = OrderLine(product, chosen["colour"], chosen["size"], mention.quantity)
    missing = [
        what
        for what, needed in (
            ("colour", product.colours and not line.colour),
            ("size", product.sizes and not line.size),
            ("quantity", not line.quantity),
        )
        if needed
    ]
    if missing:
        return None, f"{product.name}: say the {' and '.join(missing)}"
    if not 1 <= (line.quantity or 0) <= MAX_QUANTITY:
        return None, f"{product.name}: the quantity must be 1 to {MAX_QUANTITY}"
    return line, None


# The words agents use for a status, in either language.
STATUS_WORDS = {
    "lunas": "dibayar", "bayar": "dibayar", "paid": "dibayar",
    "kirim": "dikirim", "shipped": "dikirim", "sent": "dikirim",
    "done": "selesai", "diterima": "selesai", "delivered": "selesai", "complete": "selesai",
    "cancel": "batal", "cancelled": "batal", "dibatalkan": "batal",
}  # fmt: skip


@command("status", "status")
async def status(turn: AgentTurn, args: str) -> None:
    """``/status 12 dikirim`` (or ``lunas``, ``paid``, ``kirim``...): the customer is
    told in their own language."""
    words = args.split()
    if len(words) != 2:
        raise Usage
    await _move(turn, words[0], STATUS_WORDS.get(words[1].casefold(), words[1].casefold()))


@command("lunas", "paid")
async def paid(turn: AgentTurn, args: str) -> None:
    """``/lunas 12``: the payment is checked; the same as ``/status 12 dibayar``."""
    words = args.split()
    if len(words) != 1:
        raise Usage
    await _move(turn, words[0], "dibayar")


async def _move(turn: AgentTurn, reference: str, new_status: str) -> None:
    number = reference.lstrip("#")
    if not number.isdecimal() or len(number) > 9:
        raise Usage
    order = await change_status(int(number), new_status, turn.now, by=turn.agent.name)
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
