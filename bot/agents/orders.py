"""Orders from the agent's chat: /order records a phone or shop-counter order (moving
orders on is in ``order_updates``)."""

from __future__ import annotations

from bot.agents.commands import Usage, command, customer_and_text
from bot.agents.order_updates import tell_customer
from bot.agents.turn import AgentTurn
from bot.conversation.payment import payment_due_text
from bot.understanding import Mention, Understanding, load_lexicon
from crm_core.agents import audit
from crm_core.catalog import MAX_QUANTITY, OrderLine, load_catalog
from crm_core.errors import InputError
from crm_core.orders import Shipping, place_order
from crm_core.stock import reserve


@command("order", "order")
async def record_order(turn: AgentTurn, args: str) -> None:
    """``/order CUSTOMER: kaos hitam L 2, hijab mocca 1``: a phone or shop-counter order
    of one or several items, read as a customer's message is, delivered to the address
    on their record. Every item must be clear, or nothing is saved."""
    customer, text = await customer_and_text(args)
    if not text:
        raise Usage
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
    shipping = Shipping(
        customer.name, customer.address, customer.city, customer.phone, customer.city_typed
    )
    # The shop's own shipping rule, as the customer would be charged in chat; None when
    # the team confirms it (the customer is then sent the total once it is set).
    fee = turn.shop.shipping.fee(customer.city, sum(line.total for line in lines))
    order = await place_order(
        customer, lines, shipping, "agent", turn.now, by=turn.agent.name, shipping_fee=fee,
        series=turn.invoice_series(),
    )  # fmt: skip
    await audit(turn.agent, "order.add", turn.now, customer_id=customer.id, order=order.id)
    told = False
    if fee is not None:  # the total and how to pay, where the customer chats with the shop
        text = payment_due_text(turn.texts, turn.shop, customer, order)
        told = await tell_customer(turn, customer, text, f"order:{order.id}:due")
    turn.say("agent_order_added", order=order, lines=lines, customer=customer, told=told)


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
