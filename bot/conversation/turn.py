"""One incoming message being handled: who sent it, where they are, what we answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.conversation.short_answers import (
    NEGATIONS,
    NO,
    POLITE,
    WITH_A_NO,
    YES,
    YES_WORDS,
    normalize,
)
from bot.inbound import Inbound, Reply
from bot.understanding import Reading
from crm_core.models import Conversation, Customer
from crm_core.sales.catalog import Catalog, words
from crm_core.shop import ShopFile
from message_templates import Texts

if TYPE_CHECKING:  # the flows' handlers take a turn: the two name each other in types only
    from bot.conversation.states import Flows


@dataclass
class Turn:
    inbound: Inbound
    customer: Customer
    conversation: Conversation
    catalog: Catalog
    texts: Texts
    now: datetime
    text: str  # the inbound text, cleaned of control characters
    flows: Flows  # every step of the chat, the engine's one table
    replies: list[Reply] = field(default_factory=list)
    # The customer as read, to write back only what this message changed.
    customer_before: dict[str, Any] = field(default_factory=dict)
    # What the message says, read once by the engine; and the reader, for other texts
    # (an order remembered from a first message).
    reading: Reading | None = None
    reader: Callable[[str], Reading] | None = None
    # The bot did not understand this message: the engine counts misses in a row.
    missed_it: bool = False
    shop: ShopFile | None = None  # the shop's facts and answers
    message_id: int | None = None  # this message's row in the log (a receipt's photo)

    @property
    def lang(self) -> str:
        return self.customer.language

    @property
    def state(self) -> str:
        return self.conversation.state

    @property
    def data(self) -> dict[str, Any]:
        return self.conversation.data

    def go(self, state: str, **data: Any) -> None:
        """Move to ``state``; ``data`` replaces the flow's scratch data when given."""
        self.conversation.state = state
        if data:
            self.conversation.data = data

    def understand(self, text: str) -> Reading:
        if self.reader is None:
            raise RuntimeError("this turn was made without a reader")
        return self.reader(text)

    def missed(self) -> None:
        self.missed_it = True

    def reset(self) -> None:
        self.conversation.state = "idle"
        self.conversation.data = {}

    def say(
        self,
        template: str,
        *,
        choices: tuple[str, ...] | list[str] = (),
        ask_contact: bool = False,
        **context: Any,
    ) -> None:
        context.setdefault("customer", self.customer)
        # Only Telegram has buttons to tap and a contact to share: elsewhere a text
        # says what to type instead.
        context.setdefault("buttons", self.inbound.channel == "telegram")
        text = self.texts.render(template, self.lang, **context)
        contact = self.label("btn_share_contact") if ask_contact else None
        self.replies.append(Reply(text, tuple(choices), contact))

    def say_text(self, text: str, *, choices: tuple[str, ...] = ()) -> None:
        """A text already written (the shop's own answer), sent as it is."""
        self.replies.append(Reply(text, choices))

    def invoice_series(self) -> str:
        """The invoice series of an order placed now (the shop's year, not UTC's)."""
        shop = self.shop or ShopFile()
        return shop.orders.invoice_series(self.now.astimezone(self.texts.tz).year)

    def label(self, key: str) -> str:
        return self.texts.label(key, self.lang)

    def labels(self, *keys: str) -> tuple[str, ...]:
        return tuple(self.label(k) for k in keys)

    def is_label(self, text: str, key: str) -> bool:
        return normalize(text) in {normalize(x) for x in self.texts.labels(key)}

    def yes_or_no(self, yes_key: str, no_key: str) -> bool | None:
        """The answer to a yes-or-no question whose buttons are ``yes_key``, ``no_key``;
        None when it is neither, a question ("ok?"), or both ("ya ga boleh lah"): ask
        again, never guess."""
        raw = self.text.strip()
        word = normalize(raw)
        yes, no = self.labels(yes_key, no_key)
        chosen = pick(raw, (yes, no), loose=False)
        if chosen == no or word in NO or self.is_label(raw, no_key):
            return False
        if chosen == yes or self.is_label(raw, yes_key):
            return True
        tokens = words(word)
        if not tokens or raw.endswith("?"):
            return None
        if any(token in NEGATIONS for token in tokens):
            # "tidak mau", "ga usah", "tidak, terima kasih" are a no; "ya ga boleh" is not
            # clear either way.
            return False if all(t in NEGATIONS or t in WITH_A_NO for t in tokens) else None
        if word in YES:
            return True
        if any(t in YES_WORDS for t in tokens) and all(
            t in YES_WORDS or t in POLITE for t in tokens
        ):
            return True  # "iya kak", "ok ya", "pesan"
        if self.reading is not None and self.reading.intent.value in ("yes", "no"):
            # The language layer's plain answer ("siap kak", "okee", "udah bener").
            return self.reading.intent.value == "yes"
        return None


def pick(text: str, options: tuple[str, ...] | list[str], *, loose: bool = True) -> str | None:
    """The option a customer chose: by its number in the list (``2``), or its words.
    ``loose`` also accepts a unique prefix, or a sentence holding all of one option's
    words ("mau kemeja batik"); a yes-or-no question never reads that loosely."""
    word = normalize(text)
    if not word:
        return None
    if word.isdecimal():
        index = int(word[:6]) - 1
        return options[index] if 0 <= index < len(options) else None
    for option in options:
        if normalize(option) == word:
            return option
    if not loose:
        return None
    starts = [o for o in options if normalize(o).startswith(word)]
    if len(starts) == 1:
        return starts[0]
    tokens = set(words(word))
    inside = [o for o in options if words(o) and set(words(o)) <= tokens]
    if len(inside) == 1:
        return inside[0]
    return None
