"""The registry of conversation states: how each one asks its question and reads the
answer. Flow modules add their states here; the engine only dispatches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.conversation.turn import Turn

Handler = Callable[[Turn], Awaitable[None]]


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


STATES: dict[str, State] = {}
