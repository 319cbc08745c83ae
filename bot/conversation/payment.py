"""How a customer is asked to pay: the exact amount, the order's number and the shop's
own payment answer (banks, e-wallets, COD) from its file, in the customer's language.
The same text whether it follows the confirmation or the team's shipping figure."""

from __future__ import annotations

from crm_core.models import Customer, Order
from crm_core.shop import ShopFile
from message_templates import Texts


def payment_due_text(texts: Texts, shop: ShopFile | None, customer: Customer, order: Order) -> str:
    how = payment_how(texts, shop, customer)
    return texts.render(
        "payment_due", customer.language, order=order, amount=order.grand_total, how=how,
        customer=customer,
    )  # fmt: skip


def payment_how(texts: Texts, shop: ShopFile | None, customer: Customer) -> str | None:
    """The shop's own payment answer in the customer's language, or None (the team
    then sends it)."""
    source = shop.answer("payment", customer.language) if shop is not None else None
    if source is None or shop is None:
        return None
    return texts.render_source(
        source, customer.language, shop=shop.facts, shipping=shop.shipping, customer=customer
    )
