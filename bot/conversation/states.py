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


STATES: dict[str, State] = {}
