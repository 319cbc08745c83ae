"""Every step of a customer's chat, declared in one table: the name the chat keeps as
its state, how the step asks its question, and how it reads the answer. The engine
builds it once and hands it to each turn; flows reach each other through it, never by
importing one another."""

from __future__ import annotations

from bot.conversation import (
    after_sale,
    handoff,
    menu,
    onboarding,
    ordering,
    profile,
    router,
    steps,
)
from bot.conversation.states import Flows, State


def build_flows() -> Flows:
    # Onboarding's questions are no order in progress: "batal" there cancels nothing.
    first = False
    states = {
        "idle": State(menu.idle_prompt, router.idle_answer, in_flow=False),
        "handoff": State(handoff.quiet, handoff.quiet, in_flow=False),
        # First contact, then (once, with consent) the optional questions.
        "new": State(onboarding.welcome, onboarding.welcome, in_flow=first),
        "consent": State(
            onboarding.consent_prompt,
            onboarding.consent_answer,
            yes_no=("btn_consent_yes", "btn_consent_no"),
            in_flow=first,
        ),
        "ask_name": State(
            steps.name_prompt,
            steps.name_answer(onboarding.continue_profile),
            free_text=True,
            in_flow=first,
        ),
        "ask_city": State(
            steps.city_prompt,
            steps.city_answer(onboarding.continue_profile),
            free_text=True,
            in_flow=first,
        ),
        "ask_source": State(
            onboarding.source_prompt, onboarding.source_answer, free_text=True, in_flow=first
        ),
        "ask_gender": State(onboarding.gender_prompt, onboarding.gender_answer, in_flow=first),
        "ask_age": State(onboarding.age_prompt, onboarding.age_answer, in_flow=first),
        "ask_email": State(
            onboarding.email_prompt, onboarding.email_answer, free_text=True, in_flow=first
        ),
        # An order, step by step (each asked only when the customer has not said it).
        "order_product": State(ordering.product_prompt, ordering.product_answer),
        "order_colour": State(*ordering.option_step("colour")),
        "order_size": State(*ordering.option_step("size")),
        "order_quantity": State(ordering.quantity_prompt, ordering.quantity_answer),
        "order_name": State(steps.name_prompt, steps.name_answer(ordering.advance), free_text=True),
        "order_city": State(steps.city_prompt, steps.city_answer(ordering.advance), free_text=True),
        "order_address": State(ordering.address_prompt, ordering.address_answer, free_text=True),
        "order_phone": State(ordering.phone_prompt, ordering.phone_answer, free_text=True),
        "order_confirm": State(
            ordering.confirm_prompt, ordering.confirm_answer, yes_no=("btn_confirm", "btn_cancel")
        ),
        # Changing what the shop holds about them, and cancelling an order.
        "update_field": State(profile.field_prompt, profile.field_answer),
        "update_value": State(profile.value_prompt, profile.value_answer, free_text=True),
        "cancel_order_confirm": State(
            after_sale.cancel_prompt,
            after_sale.cancel_answer,
            yes_no=("btn_cancel_order", "btn_keep_order"),
        ),
    }
    return Flows(states, ordering.start_from_text)
