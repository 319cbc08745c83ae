"""Ordering: one or several items (product, colour, size, quantity), then delivery
details, then confirmation.

The basket being built lives in the conversation's data, never in the orders table, so
nothing is half-written: the order appears whole when the customer confirms it.

- ``lines``: the items already complete;
- ``line``: the item being filled in now (``candidates`` when the words fit several
  products: the customer picks one);
- ``queue``: further items the customer named in one message, filled in after it.

Whatever the customer names is checked against the catalog when it is used, so an option
that does not exist, or is sold out, is said once and asked for again."""

from __future__ import annotations

import re
from typing import Any

from bot.conversation.handoff import tell_agents_about
from bot.conversation.menu import show_menu
from bot.conversation.onboarding import offer_optional
from bot.conversation.payment import payment_due_text
from bot.conversation.states import Handler
from bot.conversation.turn import Turn, pick
from bot.understanding import Intent, Mention, Reading
from crm_core.customers.phones import try_normalize_phone
from crm_core.customers.records import attach_phone, snapshot
from crm_core.models import Order
from crm_core.sales.catalog import MAX_QUANTITY, CatalogItem, OrderLine, parse_quantity
from crm_core.sales.orders import Shipping, place_order
from crm_core.sales.stock import reserve

MAX_ADDRESS = 300
MAX_LINES = 20  # items in one chat order; past that the customer is told to ask a person
PAGE = 10  # products shown at a time


def can_order(turn: Turn) -> bool:
    if turn.customer.blacklisted:
        turn.reset()
        turn.say("blacklisted")
        return False
    return True


async def start(turn: Turn) -> None:
    """ "pesan" with nothing named: the product list."""
    if not can_order(turn):
        return
    if not turn.catalog.items:
        turn.say("catalog_empty")
        return
    turn.go("order_product", line={}, lines=[], queue=[], page=0)
    await product_prompt(turn)


async def start_with(turn: Turn, mentions: tuple[Mention, ...]) -> None:
    """An order from what the customer wrote ("kaos hitam L 2, topi merah 1")."""
    if not can_order(turn):
        return
    if not turn.catalog.items:
        turn.say("catalog_empty")
        return
    wanted = [_from_mention(m) for m in mentions]
    if len(wanted) > MAX_LINES:
        turn.say("basket_too_long", max=MAX_LINES)
        wanted = wanted[:MAX_LINES]
    turn.go("order_product", line=wanted[0] if wanted else {}, lines=[], queue=wanted[1:], page=0)
    await advance(turn)


async def start_from_text(turn: Turn, text: str) -> bool:
    """Start an order from free text such as "kaos hitam L 2"; False if it is not one."""
    reading = turn.understand(text)
    named = tuple(m for m in reading.items if m.products)
    if reading.intent not in (Intent.ORDER, Intent.ADD) or not named:
        return False
    await start_with(turn, reading.items)
    return True


def _from_mention(mention: Mention) -> dict[str, Any]:
    line: dict[str, Any] = {
        "colour": mention.colour,
        "size": mention.size,
        "quantity": mention.quantity,
    }
    if mention.product is not None:
        line["product"] = mention.product.id
    elif mention.ambiguous:
        line["candidates"] = [p.id for p in mention.products]
    return line


def _as_line(turn: Turn, raw: dict[str, Any]) -> OrderLine | None:
    product_id = raw.get("product")
    product = turn.catalog.get(product_id) if isinstance(product_id, int) else None
    if product is None:
        return None
    return OrderLine(product, raw.get("colour"), raw.get("size"), raw.get("quantity"))


def _short(line: OrderLine, short: list[str]) -> bool:
    """Whether ``reserve`` named this line's product, or its counted colour or size."""
    name = line.product.name
    return name in short or any(f"{name} {o}" in short for o in (line.colour, line.size) if o)


def basket(turn: Turn) -> list[OrderLine]:
    lines = (_as_line(turn, raw) for raw in turn.data.get("lines") or [])
    return [line for line in lines if line is not None]


def current_line(turn: Turn) -> OrderLine | None:
    return _as_line(turn, turn.data.get("line") or {})


def _update(turn: Turn, **changes: object) -> None:
    line = dict(turn.data.get("line") or {})
    line.update(changes)
    turn.data["line"] = line


# -- moving on --


async def advance(turn: Turn) -> None:
    """Check what the current item says against the catalog, then ask for the first
    thing the order still lacks."""
    while turn.data.get("line") is not None:
        raw = dict(turn.data["line"])
        if not _settle(turn, raw):
            _next_item(turn)  # this one cannot be ordered: said why, go on
            continue
        turn.data["line"] = raw
        step = _option_step(turn, raw)
        if step is not None:
            turn.go(step)
            await turn.flows.states[step].prompt(turn)
            return
        lines = list(turn.data.get("lines") or [])
        at = raw.pop("at", len(lines))
        lines.insert(min(at, len(lines)), raw)
        turn.data["lines"] = lines
        _next_item(turn)
    if not turn.data.get("lines"):
        turn.reset()
        turn.say("order_empty")
        await show_menu(turn)
        return
    turn.data["line"] = None
    turn.go(_details_step(turn))
    await turn.flows.states[turn.state].prompt(turn)


def _next_item(turn: Turn) -> None:
    queue = list(turn.data.get("queue") or [])
    turn.data["line"] = queue.pop(0) if queue else None
    turn.data["queue"] = queue


def _settle(turn: Turn, raw: dict[str, Any]) -> bool:
    """Make the item's fields ones the catalog has, saying what was not; False when the
    item cannot be ordered at all (its product is sold out or gone)."""
    candidates = [p for p in (turn.catalog.get(i) for i in raw.get("candidates") or []) if p]
    if "product" not in raw and candidates:
        fitting = [p for p in candidates if _offers(p, raw.get("colour"), raw.get("size"))]
        if len(fitting) == 1:
            raw["product"] = fitting[0].id
            raw.pop("candidates", None)
        else:
            raw["candidates"] = [p.id for p in (fitting or candidates)]
            return True
    product_id = raw.get("product")
    if product_id is None:
        return True
    product = turn.catalog.get(product_id) if isinstance(product_id, int) else None
    if product is None:
        turn.say("product_gone")
        raw.clear()
        return True
    if not product.available:
        turn.say("product_sold_out", product=product)
        return False
    for field, options in (("colour", product.colours), ("size", product.sizes)):
        value = raw.get(field)
        if value is None:
            continue
        chosen = next((o for o in options if o.casefold() == str(value).casefold()), None)
        if not options:
            raw[field] = None  # "tote bag hitam": it comes one way only
        elif chosen is None:
            turn.say("unknown_option", product=product, value=value, options=options)
            raw[field] = None
        elif not product.option_available(chosen):
            turn.say("option_sold_out", product=product, value=chosen)
            raw[field] = None
        else:
            raw[field] = chosen
    quantity = raw.get("quantity")
    if quantity is not None and not 1 <= quantity <= MAX_QUANTITY:
        reason = "too_small" if quantity < 1 else "too_large"
        turn.say("bad_quantity", reason=reason, max=MAX_QUANTITY)
        raw["quantity"] = None
    return True


def _offers(product: CatalogItem, colour: str | None, size: str | None) -> bool:
    def has(options: tuple[str, ...], value: str | None) -> bool:
        return value is None or value.casefold() in {o.casefold() for o in options}

    return has(product.colours, colour) and has(product.sizes, size)


def _option_step(turn: Turn, raw: dict[str, Any]) -> str | None:
    line = _as_line(turn, raw)
    if line is None:
        return "order_product"
    if line.product.colours and line.colour is None:
        return "order_colour"
    if line.product.sizes and line.size is None:
        return "order_size"
    if line.quantity is None:
        return "order_quantity"
    return None


def _details_step(turn: Turn) -> str:
    c = turn.customer
    if not c.name:
        return "order_name"
    if not c.city:
        return "order_city"
    if not c.address:
        return "order_address"
    if not (c.phone or turn.data.get("ship_phone")):
        return "order_phone"
    return "order_confirm"


# -- changing one's mind inside the order --


async def edit(turn: Turn, reading: Reading) -> None:
    """A change of mind while ordering: another item, a different colour, size,
    quantity or product, an item taken out."""
    if reading.intent is Intent.REMOVE:
        await _remove(turn, reading.items)
        return
    mentions = [m for m in reading.items if not m.empty]
    if not mentions:
        await _reprompt(turn)
        return
    raw = dict(turn.data.get("line") or {})
    first, *rest = mentions
    adding = reading.intent is Intent.ADD or (
        reading.intent is Intent.ORDER and not _in_basket(turn, first)
    )
    if adding and first.products and not _same(raw, first):
        # Another product: into the basket after the current one (one that is sold out
        # is said now, not when its turn comes).
        wanted = []
        for mention in mentions:
            if mention.product is not None and not mention.product.available:
                turn.say("product_sold_out", product=mention.product)
            else:
                wanted.append(_from_mention(mention))
        _enqueue(turn, wanted)
        if not raw or (raw.get("product") is None and not raw.get("candidates")):
            _next_item(turn)
        await advance(turn)
        return
    if not _change(turn, first):
        await _reprompt(turn)
        return
    if rest:
        # "hitam 2 putih 1" while choosing a kaos's colour: more of the same product.
        product = (turn.data.get("line") or {}).get("product")
        extra = []
        for mention in rest:
            line = _from_mention(mention)
            if "product" not in line and "candidates" not in line and product is not None:
                line["product"] = product
            extra.append(line)
        _enqueue(turn, extra, first=True)
    await advance(turn)


def _enqueue(turn: Turn, wanted: list[dict[str, Any]], *, first: bool = False) -> None:
    queue = list(turn.data.get("queue") or [])
    queue = wanted + queue if first else queue + wanted
    room = MAX_LINES - len(turn.data.get("lines") or []) - (1 if turn.data.get("line") else 0)
    if len(queue) > max(room, 0):
        turn.say("basket_too_long", max=MAX_LINES)
        queue = queue[: max(room, 0)]
    turn.data["queue"] = queue


def _in_basket(turn: Turn, mention: Mention) -> bool:
    ids = {p.id for p in mention.products}
    return any(raw.get("product") in ids for raw in turn.data.get("lines") or [])


def _same(raw: dict[str, Any], mention: Mention) -> bool:
    ids = {p.id for p in mention.products}
    return raw.get("product") in ids or bool(set(raw.get("candidates") or []) & ids)


async def drop_current(turn: Turn, reading: Reading) -> bool:
    """ "yang ini ga jadi" with other items in the basket: this item goes, the rest stay.
    False when there is nothing else (the whole order is what is being cancelled)."""
    raw = turn.data.get("line") or {}
    others = turn.data.get("lines") or turn.data.get("queue")
    pointing = {"ini", "this", "itu", "that"} & set(turn.text.casefold().split())
    if not raw or not others or not pointing:
        return False
    product = turn.catalog.get(raw["product"]) if isinstance(raw.get("product"), int) else None
    if product is not None:
        turn.say("line_removed", names=[product.name])
    _next_item(turn)
    await advance(turn)
    return True


def _change(turn: Turn, mention: Mention) -> bool:
    """Apply the change to the item it is about: the one being filled in, or the
    basket's item with that product, or the one offering that colour or size. False
    (and said why) when the change cannot be made; the order is then as it was."""
    raw = dict(turn.data.get("line") or {})
    lines = list(turn.data.get("lines") or [])
    if mention.products and not _same(raw, mention) and _in_basket(turn, mention):
        # "eh kaosnya ganti putih" while choosing the hijab's colour: the kaos changes,
        # and the hijab waits its turn again.
        if raw:
            _enqueue(turn, [raw], first=True)
        raw = {}
    if not raw and lines:
        index = _fitting_line(turn, lines, mention)
        raw = dict(lines.pop(index))
        raw["at"] = index
    if mention.products and not _same(raw, mention):
        # Another product instead: the same quantity, and the colour and size where the
        # new one has them; one that cannot be ordered leaves the order as it was.
        if mention.product is not None and not mention.product.available:
            turn.say("product_sold_out", product=mention.product)
            return False
        fresh = _from_mention(mention)
        product = turn.catalog.get(fresh["product"]) if "product" in fresh else None
        for field in ("colour", "size"):
            if fresh.get(field) is None and product and _offers_one(product, field, raw.get(field)):
                fresh[field] = raw.get(field)
        for field in ("quantity", "at"):
            if fresh.get(field) is None and raw.get(field) is not None:
                fresh[field] = raw[field]
        raw = fresh
    else:
        if mention.product is not None:
            raw["product"] = mention.product.id
            raw.pop("candidates", None)
        for field in ("colour", "size", "quantity"):
            if getattr(mention, field) is not None:
                raw[field] = getattr(mention, field)
        if mention.more is not None:
            raw["quantity"] = (raw.get("quantity") or 0) + mention.more
    turn.data["lines"] = lines
    turn.data["line"] = raw
    return True


def _offers_one(product: CatalogItem, field: str, value: Any) -> bool:
    options = product.colours if field == "colour" else product.sizes
    return value is not None and str(value).casefold() in {o.casefold() for o in options}


def _fitting_line(turn: Turn, lines: list[dict[str, Any]], mention: Mention) -> int:
    ids = {p.id for p in mention.products}
    for index in range(len(lines) - 1, -1, -1):
        line = _as_line(turn, lines[index])
        if line is None:
            continue
        if ids and line.product.id in ids:
            return index
        if (
            not ids
            and _offers(line.product, mention.colour, mention.size)
            and (mention.colour or mention.size)
        ):
            return index
    return len(lines) - 1


async def _remove(turn: Turn, mentions: tuple[Mention, ...]) -> None:
    named = {p.id for m in mentions for p in m.products}
    raw = turn.data.get("line") or {}
    held = [
        r.get("product")
        for r in (*(turn.data.get("lines") or []), *(turn.data.get("queue") or []), raw)
    ]
    # Only what is in the order: "kaosnya ga jadi" with Kaos Polos in it is that kaos.
    ids = named & set(held) or named & set(raw.get("candidates") or [])
    lines = [r for r in turn.data.get("lines") or [] if r.get("product") not in ids]
    queue = [r for r in turn.data.get("queue") or [] if r.get("product") not in ids]
    removed = [p.name for p in turn.catalog.items if p.id in ids]
    turn.data["lines"], turn.data["queue"] = lines, queue
    if raw.get("product") in ids or (set(raw.get("candidates") or []) & ids):
        _next_item(turn)
    if removed:
        turn.say("line_removed", names=removed)
    if not lines and not queue and not turn.data.get("line"):
        turn.reset()
        turn.say("order_cancelled")
        await show_menu(turn)
        return
    await advance(turn)


async def _reprompt(turn: Turn) -> None:
    await turn.flows.states[turn.state].prompt(turn)


# -- product, colour, size, quantity --


def _candidates(turn: Turn) -> list[CatalogItem]:
    raw = turn.data.get("line") or {}
    ids = raw.get("candidates") or []
    return [p for p in (turn.catalog.get(i) for i in ids) if p is not None]


def product_choices(turn: Turn) -> tuple[str, ...]:
    candidates = _candidates(turn)
    if candidates:
        return tuple(p.name for p in candidates[:PAGE])
    page = int(turn.data.get("page") or 0)
    items = turn.catalog.items[page * PAGE : (page + 1) * PAGE]
    more = (page + 1) * PAGE < len(turn.catalog.items)
    return (*(p.name for p in items), *((turn.label("btn_more"),) if more else ()))


async def product_prompt(turn: Turn) -> None:
    candidates = _candidates(turn)
    if candidates:
        turn.say(
            "choose_which",
            products=candidates[:PAGE],
            total=len(candidates),
            choices=product_choices(turn),
        )
        return
    page = int(turn.data.get("page") or 0)
    items = turn.catalog.items[page * PAGE : (page + 1) * PAGE]
    turn.say(
        "choose_product",
        products=items,
        first=page * PAGE,
        more=(page + 1) * PAGE < len(turn.catalog.items),
        choices=product_choices(turn),
    )


async def product_answer(turn: Turn) -> None:
    choices = product_choices(turn)
    name = pick(turn.text, choices)
    if name is not None and name == turn.label("btn_more"):
        turn.data["page"] = int(turn.data.get("page") or 0) + 1
        await product_prompt(turn)
        return
    item = turn.catalog.by_name(name) if name is not None else None
    if item is not None:
        raw = dict(turn.data.get("line") or {})
        raw.pop("candidates", None)
        raw["product"] = item.id
        turn.data["line"] = raw
        await advance(turn)
        return
    reading = turn.reading
    if reading is not None and any(m.products for m in reading.items):
        await edit(turn, reading)
        return
    turn.missed()
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


def _open_options(product: CatalogItem, options: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(o for o in options if product.option_available(o))


def option_step(kind: str) -> tuple[Handler, Handler]:
    """Choosing the product's colour or its size (``kind``): the question, with what is
    sold out said and only what is left offered, and the answer read among those."""

    def options(product: CatalogItem) -> tuple[str, ...]:
        return product.colours if kind == "colour" else product.sizes

    @needs_product
    async def prompt(turn: Turn) -> None:
        product = _product(turn)
        assert product is not None
        turn.say(
            f"choose_{kind}",
            product=product,
            sold_out=[o for o in options(product) if not product.option_available(o)],
            choices=_open_options(product, options(product)),
        )

    @needs_product
    async def answer(turn: Turn) -> None:
        product = _product(turn)
        assert product is not None
        chosen = pick(turn.text, _open_options(product, options(product)))
        if chosen is None:
            await _not_an_option(turn, product, options(product))
            return
        _update(turn, **{kind: chosen})
        await advance(turn)

    return prompt, answer


async def _not_an_option(turn: Turn, product: CatalogItem, options: tuple[str, ...]) -> None:
    reading = turn.reading
    if reading is not None and reading.items and reading.intent in (
        Intent.CHANGE, Intent.ORDER, Intent.ADD
    ):  # fmt: skip
        await edit(turn, reading)  # "yang item aja", "uk L 2": settled there
        return
    turn.missed()
    turn.say("unknown_option", product=product, value=None, options=options)
    await turn.flows.states[turn.state].prompt(turn)


@needs_product
async def quantity_prompt(turn: Turn) -> None:
    turn.say("ask_quantity", product=_product(turn), choices=("1", "2", "3"))


@needs_product
async def quantity_answer(turn: Turn) -> None:
    reading = turn.reading
    mention = reading.item if reading is not None else None
    quantity = mention.quantity if mention is not None else None  # "2 lusin", "dua"
    if quantity is None or turn.text.lstrip().startswith(("-", "+")):
        quantity = parse_quantity(turn.text)  # "-5" is a number too, and wrong
    numbers = re.findall(r"\d+", turn.text)
    if quantity is None and len(numbers) == 1 and len(numbers[0]) <= 6:
        quantity = int(numbers[0])  # "cuma 1 aja kak"
    if quantity is None and mention is not None and not mention.empty:
        await edit(turn, reading)  # type: ignore[arg-type]
        return
    if quantity is None:
        turn.missed()
        turn.say("bad_quantity", reason="not_number", max=MAX_QUANTITY)
    elif quantity < 1:
        turn.say("bad_quantity", reason="too_small", max=MAX_QUANTITY)
    elif quantity > MAX_QUANTITY:
        turn.say("bad_quantity", reason="too_large", max=MAX_QUANTITY)
    else:
        _update(turn, quantity=quantity)
        await advance(turn)


# -- who and where --


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


async def confirm_prompt(turn: Turn) -> None:
    lines = basket(turn)
    if not lines:
        await advance(turn)
        return
    # The customer agrees to these prices: if the shop changes one before they answer,
    # they see the new one before anything is ordered.
    turn.data["shown_prices"] = {str(line.product.id): line.product.price for line in lines}
    goods = sum(line.total for line in lines)
    fee = _shipping_fee(turn, goods)
    turn.data["shown_fee"] = fee
    turn.say(
        "confirm_order",
        lines=lines,
        goods=goods,
        shipping_fee=fee,
        total=goods + (fee or 0),
        phone=turn.customer.phone or turn.data.get("ship_phone"),
        choices=turn.labels("btn_confirm", "btn_cancel"),
    )


def _shipping_fee(turn: Turn, goods: int) -> int | None:
    """What shipping to the customer's city costs, by the shop's rule; None when the
    team confirms it after the order."""
    rule = turn.shop.shipping if turn.shop is not None else None
    return rule.fee(turn.customer.city, goods) if rule is not None else None


async def confirm_answer(turn: Turn) -> None:
    answer = turn.yes_or_no("btn_confirm", "btn_cancel")
    if answer is False:
        turn.reset()
        turn.say("order_cancelled")
        await show_menu(turn)
        return
    if answer is None:
        reading = turn.reading
        if reading is not None and reading.items and reading.intent in (
            Intent.CHANGE, Intent.ORDER, Intent.ADD
        ):  # fmt: skip
            await edit(turn, reading)
            return
        turn.missed()
        turn.say("confirm_unclear")
        await confirm_prompt(turn)
        return
    if not can_order(turn):
        return
    lines = basket(turn)
    if len(lines) != len(turn.data.get("lines") or []) or _details_step(turn) != "order_confirm":
        # Something went missing since the question (the number moved to its proven
        # owner, a product left the catalog): ask for it again.
        turn.data["lines"] = [raw for raw in turn.data.get("lines") or [] if _as_line(turn, raw)]
        await advance(turn)
        return
    shown = turn.data.get("shown_prices") or {}
    changed = [
        line.product for line in lines if shown.get(str(line.product.id)) != line.product.price
    ]
    if changed:
        for product in changed:
            turn.say("price_changed", product=product)
        await confirm_prompt(turn)
        return
    fee = _shipping_fee(turn, sum(line.total for line in lines))
    if fee != turn.data.get("shown_fee"):
        await confirm_prompt(turn)  # the shop's shipping changed meanwhile: show it first
        return
    short = await reserve(lines, turn.now)
    if short:
        # Someone else took the last ones since the confirmation was shown.
        for name in short:
            turn.say("stock_ran_out", product_name=name)
        turn.data["lines"] = [
            raw
            for raw in turn.data.get("lines") or []
            if (line := _as_line(turn, raw)) is None or not _short(line, short)
        ]
        await advance(turn)
        return
    c = turn.customer
    shipping = Shipping(
        name=c.name or "",
        address=c.address or "",
        city=c.city or "",
        phone=c.phone or turn.data.get("ship_phone"),
        city_typed=c.city_typed,
    )
    order = await place_order(
        c, lines, shipping, turn.inbound.channel, turn.now, shipping_fee=fee,
        series=turn.invoice_series(),
    )  # fmt: skip
    turn.reset()
    turn.say("order_placed", order=order, lines=lines)
    pay_for(turn, order)
    await tell_agents_about(
        turn, "agent_new_order", f"order:{order.id}:new", order=order, lines=lines
    )
    if not await offer_optional(turn):
        await show_menu(turn)


def pay_for(turn: Turn, order: Order) -> None:
    """How to pay, with the exact amount and the order's number, once the amount is
    known; while the team confirms shipping, the customer is told the total will come."""
    if order.shipping_fee is None:
        turn.say("shipping_to_confirm", order=order)
        return
    turn.say_text(payment_due_text(turn.texts, turn.shop, turn.customer, order))


def in_order(state: str) -> bool:
    """Whether the chat is in the middle of an order (its steps are named ``order_*``)."""
    return state.startswith("order_")
