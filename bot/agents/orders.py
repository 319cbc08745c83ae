"""Orders from the agent's chat: /order records a phone or shop-counter order (moving
orders on is in ``order_updates``)."""

from __future__ import annotations

from bot.agents.commands import Usage, customer_and_text
from bot.agents.order_updates import tell_customer
from bot.agents.turn import AgentTurn
from bot.conversation.payment import payment_due_text
from bot.understanding import Mention, Understanding, load_lexicon
from crm_core.errors import InputError
from crm_core.sales.catalog import MAX_QUANTITY, OrderLine, load_catalog
from crm_core.sales.orders import Shipping, place_order
from crm_core.sales.stock import reserve
from crm_core.staff.audit import audit


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
        raise InputError("product_not_found", text=text)
    lines, problems = [], []
    for mention in mentions:
        line, problem = _line(mention)
        if problem:
            problems.append(problem)
        elif line is not None:
            lines.append(line)
    if problems:
        raise InputError("order_lines_refused", problems=problems)
    if not (customer.name and customer.address and customer.city):
        raise InputError("customer_not_shippable")
    if customer.blacklisted:
        raise InputError("customer_blacklisted")
    short = await reserve(lines, turn.now)
    if short:
        raise InputError("stock_short", items=", ".join(short))
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


def _line(mention: Mention) -> tuple[OrderLine | None, InputError | None]:
    """The order line a mention makes, or what is wrong with it."""
    if mention.product is None:
        names = " / ".join(p.name for p in mention.products)
        return None, InputError("product_which", names=names)
    product = mention.product
    if not product.available:
        return None, InputError("sold_out", item=product.name)
    chosen = {}
    for field, value, options in (
        ("colour", mention.colour, product.colours),
        ("size", mention.size, product.sizes),
    ):
        match = next((o for o in options if value and o.casefold() == value.casefold()), None)
        if value is not None and match is None and options:
            return None, InputError(
                f"no_such_{field}", product=product.name, value=value, known=", ".join(options)
            )
        if match is not None and not product.option_available(match):
            return None, InputError("sold_out", item=f"{product.name} {match}")
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
        return None, InputError("line_missing", product=product.name, missing=missing)
    if not 1 <= (line.quantity or 0) <= MAX_QUANTITY:
        return None, InputError("quantity_range", product=product.name, most=MAX_QUANTITY)
    return line, None
