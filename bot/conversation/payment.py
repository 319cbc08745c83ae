"""How a customer is asked to pay: the exact amount, the order's number and the shop's
own payment answer (banks, e-wallets, COD) from its file, in the customer's language.
The same text whether it follows the confirmation or the team's shipping figure."""

from __future__ import annotations

from crm_core.models import Customer, Order
from crm_core.shop import ShopFile
from message_templates import Texts


def payment_due_text(texts: Texts, shop: ShopFile | None, customer: Customer, order: Order) -> str:
    source = shop.answer("payment", customer.language) if shop is not None else None
    how = None
    if source is not None and shop is not None:
        how = texts.render_source(
            source, customer.language, shop=shop.facts, shipping=shop.shipping, customer=customer
        )
    return texts.render(
        "payment_due", customer.language, order=order, amount=order.grand_total, how=how,
        customer=customer,
    )  # fmt: skip
