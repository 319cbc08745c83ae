"""Ordering: product, colour, size, quantity, then delivery details, then confirmation.

The order being built lives in the conversation's data, never in the orders table, so
nothing is half-written: the order appears whole when the customer confirms it."""

from __future__ import annotations

from bot.conversation.menu import show_menu
from bot.conversation.onboarding import clean_city, clean_name, offer_optional, offered_names
from bot.conversation.states import STATES, Handler, State
from bot.conversation.turn import Turn, pick
from crm_core.catalog import MAX_QUANTITY, CatalogItem, OrderLine, match_order_text, parse_quantity
from crm_core.customers import attach_phone, snapshot
from crm_core.orders import Shipping, place_order
from crm_core.phones import try_normalize_phone

MAX_ADDRESS = 300


def can_order(turn: Turn) -> bool:
    if turn.customer.blacklisted:
        turn.reset()
        turn.say("blacklisted")
        return False
    return True


async def start(turn: Turn) -> None:
    if not can_order(turn):
        return
    if not turn.catalog.items:
        turn.say("catalog_empty")
        return
    turn.go("order_product", line={})
    await product_prompt(turn)


async def start_from_text(turn: Turn, text: str) -> bool:
    """Start an order from free text such as "kaos hitam L 2"; False if it is not one."""
    line = match_order_text(text, turn.catalog)
    if line is None:
        return False
    if not can_order(turn):
        return True
    turn.go("order_product", line=_store(line))
    await advance(turn)
    return True


def _store(line: OrderLine) -> dict[str, object]:
    return {
        "product": line.product.id,
        "colour": line.colour,
        "size": line.size,
        "quantity": line.quantity,
    }


def current_line(turn: Turn) -> OrderLine | None:
    raw = turn.data.get("line") or {}
    product_id = raw.get("product")
    product = turn.catalog.get(product_id) if isinstance(product_id, int) else None
    if product is None:
        return None
    return OrderLine(product, raw.get("colour"), raw.get("size"), raw.get("quantity"))


def _update(turn: Turn, **changes: object) -> None:
    line = dict(turn.data.get("line") or {})
    line.update(changes)
    turn.data["line"] = line


async def advance(turn: Turn) -> None:
    """Ask for the first thing the order still lacks."""
    line = current_line(turn)
    if line is None:
        # The product left the catalog while the customer was choosing.
        turn.go("order_product", line={})
        turn.say("product_gone")
        await product_prompt(turn)
        return
    turn.go(next_step(turn, line))
    await STATES[turn.state].prompt(turn)


def next_step(turn: Turn, line: OrderLine) -> str:
    c = turn.customer
    if line.product.colours and line.colour is None:
        return "order_colour"
    if line.product.sizes and line.size is None:
        return "order_size"
    if line.quantity is None:
        return "order_quantity"
    if not c.name:
        return "order_name"
    if not c.city:
        return "order_city"
    if not c.address:
        return "order_address"
    if not (c.phone or turn.data.get("ship_phone")):
        return "order_phone"
    return "order_confirm"


# -- product, colour, size, quantity --


def product_choices(turn: Turn) -> tuple[str, ...]:
    return tuple(item.name for item in turn.catalog.items)


async def product_prompt(turn: Turn) -> None:
    turn.say("choose_product", products=turn.catalog.items, choices=product_choices(turn))


async def product_answer(turn: Turn) -> None:
    name = pick(turn.text, product_choices(turn))
    if name is not None:
        item = turn.catalog.by_name(name)
        assert item is not None
        turn.data["line"] = {"product": item.id}
        await advance(turn)
        return
    line = match_order_text(turn.text, turn.catalog)
    if line is not None:
        turn.data["line"] = _store(line)
        await advance(turn)
        return
    turn.say("unknown_product")
    await product_prompt(turn)


def _product(turn: Turn) -> CatalogItem | None:
    line = current_line(turn)
    return line.product if line else None


def needs_product(step: Handler) -> Handler:
    """Steps after the product is chosen go back to the product list when it has left
    the catalog in the meantime."""

    async def guarded(turn: Turn) -> None:
        if _product(turn) is None:
            await advance(turn)
        else:
            await step(turn)

    return guarded


@needs_product
async def colour_prompt(turn: Turn) -> None:
    product = _product(turn)
    assert product is not None
    turn.say("choose_colour", product=product, choices=product.colours)


@needs_product
async def colour_answer(turn: Turn) -> None:
    product = _product(turn)
    assert product is not None
    colour = pick(turn.text, product.colours)
    if colour is None:
        turn.say("unknown_option", options=product.colours)
        await colour_prompt(turn)
        return
    _update(turn, colour=colour)
    await advance(turn)


@needs_product
async def size_prompt(turn: Turn) -> None:
    product = _product(turn)
    assert product is not None
    turn.say("choose_size", product=product, choices=product.sizes)


@needs_product
async def size_answer(turn: Turn) -> None:
    product = _product(turn)
    assert product is not None
    size = pick(turn.text, product.sizes)
    if size is None:
        turn.say("unknown_option", options=product.sizes)
        await size_prompt(turn)
        return
    _update(turn, size=size)
    await advance(turn)


@needs_product
async def quantity_prompt(turn: Turn) -> None:
    turn.say("ask_quantity", product=_product(turn), choices=("1", "2", "3"))


@needs_product
async def quantity_answer(turn: Turn) -> None:
    quantity = parse_quantity(turn.text)
    if quantity is None:
        turn.say("bad_quantity", reason="not_number", max=MAX_QUANTITY)
    elif quantity < 1:
        turn.say("bad_quantity", reason="too_small", max=MAX_QUANTITY)
    elif quantity > MAX_QUANTITY:
        turn.say("bad_quantity", reason="too_large", max=MAX_QUANTITY)
    else:
        _update(turn, quantity=quantity)
        await advance(turn)


# -- who and where --


async def name_prompt(turn: Turn) -> None:
    turn.say("ask_name", choices=offered_names(turn))


async def name_answer(turn: Turn) -> None:
    name = clean_name(turn.text)
    if name is None:
        turn.say("bad_name", max=80)
        return
    turn.customer.name = name
    await advance(turn)


async def city_prompt(turn: Turn) -> None:
    turn.say("ask_city")


async def city_answer(turn: Turn) -> None:
    city = clean_city(turn.text)
    if city is None:
        turn.say("bad_city")
        return
    turn.customer.city = city
    await advance(turn)


async def address_prompt(turn: Turn) -> None:
    turn.say("ask_address")


def clean_address(text: str) -> str | None:
    address = " ".join(text.split())
    if not 8 <= len(address) <= MAX_ADDRESS or not any(ch.isalpha() for ch in address):
        return None
    return address


async def address_answer(turn: Turn) -> None:
    address = clean_address(turn.text)
    if address is None:
        turn.say("bad_address", max=MAX_ADDRESS)
        return
    turn.customer.address = address
    await advance(turn)


async def phone_prompt(turn: Turn) -> None:
    turn.say("ask_phone", ask_contact=True)


async def phone_answer(turn: Turn) -> None:
    # A typed number, unproven even on WhatsApp: it need not be the sender's own. (A
    # shared contact reaches Engine._contact instead.)
    phone = try_normalize_phone(turn.text)
    if phone is None:
        turn.say("bad_phone")
        return
    await use_phone(turn, phone, verified=False)
    await advance(turn)


async def use_phone(turn: Turn, phone: str, *, verified: bool) -> bool:
    """Link the phone to the customer; one that belongs to another record and is not
    vouched for by the channel is used for this delivery only, and nothing is said about
    whose it is."""
    result = await attach_phone(turn.customer, phone, turn.now, verified=verified)
    if result.taken:
        turn.data["ship_phone"] = phone
        return False
    if result.customer is not turn.customer:
        # Merged into an older record: carry on as that record (already saved whole).
        turn.customer = result.customer
        turn.customer_before = snapshot(result.customer)
        turn.conversation.customer = result.customer
    turn.say("phone_saved", phone=phone, merged=result.merged_from is not None)
    return True


# -- confirmation --


@needs_product
async def confirm_prompt(turn: Turn) -> None:
    line = current_line(turn)
    assert line is not None
    # The customer agrees to this price: if the shop changes it before they answer,
    # they see the new one before anything is ordered.
    turn.data["shown_price"] = line.product.price
    turn.say(
        "confirm_order",
        line=line,
        total=line.total,
        phone=turn.customer.phone or turn.data.get("ship_phone"),
        choices=turn.labels("btn_confirm", "btn_cancel"),
    )


async def confirm_answer(turn: Turn) -> None:
    answer = turn.yes_or_no("btn_confirm", "btn_cancel")
    if answer is False:
        turn.reset()
        turn.say("order_cancelled")
        await show_menu(turn)
        return
    if answer is None:
        turn.say("confirm_unclear")
        await confirm_prompt(turn)
        return
    if not can_order(turn):
        return
    line = current_line(turn)
    if line is None or next_step(turn, line) != "order_confirm":
        # Something went missing since the question (the number moved to its proven
        # owner, the product left the catalog): ask for it again.
        await advance(turn)
        return
    if line.product.price != turn.data.get("shown_price"):
        turn.say("price_changed", product=line.product)
        await confirm_prompt(turn)
        return
    c = turn.customer
    shipping = Shipping(
        name=c.name or "",
        address=c.address or "",
        city=c.city or "",
        phone=c.phone or turn.data.get("ship_phone"),
    )
    order = await place_order(c, [line], shipping, turn.inbound.channel, turn.now)
    turn.reset()
    turn.say("order_placed", order=order, line=line)
    if not await offer_optional(turn):
        await show_menu(turn)


STATES.update(
    {
        "order_product": State(product_prompt, product_answer),
        "order_colour": State(colour_prompt, colour_answer),
        "order_size": State(size_prompt, size_answer),
        "order_quantity": State(quantity_prompt, quantity_answer),
        "order_name": State(name_prompt, name_answer),
        "order_city": State(city_prompt, city_answer),
        "order_address": State(address_prompt, address_answer),
        "order_phone": State(phone_prompt, phone_answer),
        "order_confirm": State(confirm_prompt, confirm_answer),
    }
)
