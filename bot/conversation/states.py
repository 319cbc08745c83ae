"""What a conversation state is: how it asks its question and reads the answer. Every
state is declared once, in ``bot.conversation.flows``; the engine hands the table to
each turn (``Turn.flows``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a turn carries the flows: the two name each other in types only
    from bot.conversation.turn import Turn

Handler = Callable[["Turn"], Awaitable[None]]


@dataclass(frozen=True)
class State:
    prompt: Handler  # ask the step's question (again, after help, a photo, a language switch)
    answer: Handler  # read the customer's answer to it
    in_flow: bool = True  # an order or an edit in progress, which "batal" cancels
    # The answer is free text (a name, an address): only a clear request or question
    # is read as something else ("Jl. Mawar Putih 5" is an address, not a colour).
    free_text: bool = False
    # The step asks yes or no with these buttons: a plain yes or no goes to it first.
    yes_no: tuple[str, str] | None = None


@dataclass(frozen=True)
class Flows:
    """Every step of a customer's chat, by the name the chat keeps as its state, and the
    way into an order that other flows take (an order written in free text, say during
    the first questions)."""

    states: Mapping[str, State]
    start_order: Callable[[Turn, str], Awaitable[bool]]

    def state(self, name: str) -> State:
        """The chat's step; one the table no longer has is read as the idle menu."""
        return self.states.get(name) or self.states["idle"]
