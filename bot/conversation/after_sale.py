"""After an order is placed: where it is, cancelling it, saying it was paid.

A customer may cancel an order themselves while it is new (not paid): they confirm,
it is cancelled, and the team is told. Once paid, cancelling needs a person (a refund),
so the request becomes a ticket."""

from __future__ import annotations

from datetime import timedelta

from bot.conversation.handoff import hand_off, tell_agents_about
from bot.conversation.menu import show_menu
from bot.conversation.turn import Turn
from crm_core.errors import InputError
from crm_core.models import Order
from crm_core.sales.orders import change_status, claim_payment, find_order, recent_orders

# A photo within this long of the order being paid or shipped is read as its receipt
# sent late; after that, as any other photo.
PAID_LATELY = timedelta(days=3)


async def latest_order(turn: Turn, number: str | None = None) -> Order | None:
    """The order the customer means: the one they named ("#12", "INV-2026-0012"), if it
    is theirs, else their latest."""
    if number is not None:
        found = await find_order(number, turn.customer.id)
        if found is not None:
            await found.fetch_related("items")
        return found
    orders = await recent_orders(turn.customer.id, limit=1)
    return orders[0] if orders else None


async def show_status(turn: Turn, number: str | None = None) -> None:
    """Where the latest order (or the one named) stands: "paket saya sampai mana?"."""
    order = await latest_order(turn, number)
    if order is None:
        turn.say("orders_none")
        return
    turn.say("order_where", order=order)


async def cancel_request(turn: Turn, number: str | None = None) -> None:
    order = await latest_order(turn, number)
    if order is None or order.status in ("batal", "selesai"):
        turn.say("cancel_nothing", order=order)
        return
    if order.status != "baru":
        # Paid or on its way: a refund or a return, which a person arranges.
        await hand_off(turn, "cancel_request")
        return
    turn.go("cancel_order_confirm", order=order.id)
    turn.say(
        "cancel_order_ask", order=order, choices=turn.labels("btn_cancel_order", "btn_keep_order")
    )


async def cancel_prompt(turn: Turn) -> None:
    order = await Order.filter(id=turn.data.get("order")).prefetch_related("items").first()
    if order is None:
        await show_menu(turn)
        return
    turn.say(
        "cancel_order_ask", order=order, choices=turn.labels("btn_cancel_order", "btn_keep_order")
    )


async def cancel_answer(turn: Turn) -> None:
    answer = turn.yes_or_no("btn_cancel_order", "btn_keep_order")
    words = set(turn.text.casefold().replace(",", " ").split())
    if words & {"jangan", "jgn", "don't", "dont", "keep"}:
        answer = False  # "jangan dibatalin": keep it
    elif (
        answer is None
        and turn.reading is not None
        and turn.reading.intent.value
        in (
            "cancel",
            "cancel_order",
        )
    ):
        answer = True  # "batalin aja", "cancel": yes, cancel it
    if answer is None:
        turn.missed()
        turn.say("confirm_unclear")
        await cancel_prompt(turn)
        return
    order_id = turn.data.get("order")
    turn.reset()
    if not answer:
        turn.say("cancel_kept")
        await show_menu(turn)
        return
    try:
        order = await change_status(int(order_id or 0), "batal", turn.now, by="customer")
    except InputError:
        # Paid or changed by the team since the question: a person decides.
        await hand_off(turn, "cancel_request")
        return
    turn.customer.orders_count = order.customer.orders_count
    turn.customer.total_spent = order.customer.total_spent
    turn.customer.first_order_at = order.customer.first_order_at
    turn.customer.last_order_at = order.customer.last_order_at
    turn.customer.winback_days = order.customer.winback_days
    turn.say("cancel_done", order=order)
    await tell_agents_about(turn, "agent_order_cancelled", f"cancelled:{order.id}", order=order)


async def payment_sent(turn: Turn) -> None:
    """ "udah tf ya kak": the order awaiting payment is marked as claimed, and the team
    is asked to check it. With no order awaiting payment a person sorts it out."""
    order = await latest_order(turn)
    if order is None or order.status != "baru":
        await hand_off(turn, "payment")
        return
    first = await claim_payment(order, turn.now)
    if first is None:  # cancelled by the clock a moment ago: a person sorts it out
        await hand_off(turn, "payment")
        return
    turn.say("payment_noted", order=order, receipt=False)
    if first:  # after a receipt, or said twice: the team knows already
        await tell_agents_about(
            turn, "agent_payment_claimed", f"paid:{order.id}", order=order, receipt=False
        )


# Steps where a photo can only be a receipt, not an answer to the question asked.
RECEIPT_STEPS = ("idle", "ask_gender", "ask_age", "ask_email", "cancel_order_confirm")


async def receipt(turn: Turn) -> bool:
    """A photo sent while the latest order awaits payment is its transfer receipt: it is
    attached to the order, the customer is thanked, and the team is asked to check it
    (once per receipt; a second photo of one order tells them again). A photo after
    the order was paid is answered as such. False for an ordinary photo."""
    order = await latest_order(turn)
    if order is None or turn.state not in RECEIPT_STEPS:
        return False
    if order.status in ("dibayar", "dikirim") and turn.now - order.updated_at < PAID_LATELY:
        turn.say("payment_already", order=order)
        return True
    if order.status != "baru":
        return False
    if await claim_payment(order, turn.now, proof_id=turn.message_id) is None:
        await hand_off(turn, "payment")  # cancelled by the clock a moment ago
        return True
    turn.say("payment_noted", order=order, receipt=True)
    photo = turn.inbound.media_url if turn.inbound.kind == "photo" else None
    await tell_agents_about(
        turn, "agent_payment_claimed", f"receipt:{turn.message_id}", order=order, receipt=True,
        media_url=photo,
    )  # fmt: skip
    return True
