"""Answers to customers' questions, from what the shop knows: its catalog (prices,
colours, sizes, what is in stock) and its own file (shipping, payment, hours, ...).

A question is answered wherever the customer is; the engine then asks its own question
again, so a price asked while choosing a colour never becomes the colour."""

from __future__ import annotations

from bot.conversation.handoff import hand_off
from bot.conversation.turn import Turn
from bot.understanding import Intent, Mention, Reading
from crm_core.sales.catalog import CatalogItem

LISTED = 10  # products named in one answer; the rest are in the catalog's pages


async def answer(turn: Turn, reading: Reading) -> None:
    if reading.intent is Intent.FAQ:
        await shop_answer(turn, reading.topic or "")
        return
    mention = reading.item or Mention()
    products = list(mention.products) or _current_products(turn)
    if not products:
        turn.say(
            "price_list",
            products=turn.catalog.items[:LISTED],
            more=len(turn.catalog.items) > LISTED,
            asked=reading.intent.value,
        )
        return
    if reading.intent is Intent.STOCK:
        for product in products[:LISTED]:
            turn.say("stock_answer", stock=_stock(product, mention.colour, mention.size))
        return
    template = "options_answer" if reading.intent is Intent.OPTIONS else "price_answer"
    turn.say(template, products=products[:LISTED], unavailable=_sold_out(products))


async def shop_answer(turn: Turn, topic: str) -> None:
    source = turn.shop.answer(topic, turn.lang) if turn.shop is not None else None
    if source is None:
        # The shop has not written this answer: a person will, in this chat.
        await hand_off(turn, "question")
        return
    facts = turn.shop.facts if turn.shop is not None else {}
    shipping = turn.shop.shipping if turn.shop is not None else None
    turn.say_text(
        turn.texts.render_source(
            source, turn.lang, shop=facts, shipping=shipping, customer=turn.customer
        )
    )


def _current_products(turn: Turn) -> list[CatalogItem]:
    """The product being ordered, when the question names none ("brp harganya?")."""
    raw = turn.data.get("line") or {}
    ids = [raw["product"]] if isinstance(raw.get("product"), int) else raw.get("candidates") or []
    if not ids:  # at the confirmation: the basket's products
        ids = list(dict.fromkeys(r.get("product") for r in turn.data.get("lines") or []))
    return [p for p in (turn.catalog.get(i) for i in ids if isinstance(i, int)) if p is not None]


def _sold_out(products: list[CatalogItem]) -> dict[str, list[str]]:
    return {
        p.name: [o for o in (*p.colours, *p.sizes) if not p.option_available(o)] for p in products
    }


def _stock(product: CatalogItem, colour: str | None, size: str | None) -> dict[str, object]:
    """Whether what was asked for can be ordered, and what can when it cannot."""

    def fits(value: str | None, options: tuple[str, ...]) -> str | None:
        if value is None:
            return None
        return next((o for o in options if o.casefold() == value.casefold()), "")

    colour_option, size_option = fits(colour, product.colours), fits(size, product.sizes)
    missing = [v for v, o in ((colour, colour_option), (size, size_option)) if o == ""]
    sold_out = [o for o in (colour_option, size_option) if o and not product.option_available(o)]
    return {
        "product": product,
        "asked": " ".join(v for v in (colour_option or colour, size_option or size) if v),
        "ready": product.available and not missing and not sold_out,
        "missing": missing,
        "sold_out": sold_out or ([] if product.available else [product.name]),
        "colours": [c for c in product.colours if product.option_available(c)],
        "sizes": [s for s in product.sizes if product.option_available(s)],
    }
