"""What the bot read in a message: an intent, and the items it names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from crm_core.sales.catalog import CatalogItem


class Intent(Enum):
    GREETING = "greeting"
    THANKS = "thanks"
    MENU = "menu"
    HELP = "help"
    START = "start"  # Telegram's /start
    CATALOG = "catalog"
    ORDER = "order"
    MY_ORDERS = "my_orders"
    ORDER_STATUS = "order_status"
    CANCEL_ORDER = "cancel_order"  # an order already placed
    CANCEL = "cancel"  # what is being done right now
    UPDATE = "update"
    PERSON = "person"
    COMPLAINT = "complaint"
    OPT_OUT = "opt_out"  # the whole message is the keyword: at once
    OPT_OUT_ASK = "opt_out_ask"  # a sentence asking for no more promotions: confirm first
    OPT_IN = "opt_in"
    LANG_EN = "lang_en"
    LANG_ID = "lang_id"
    DATA_ACCESS = "data_access"
    DATA_ERASURE = "data_erasure"
    PRICE = "price"
    OPTIONS = "options"
    STOCK = "stock"
    FAQ = "faq"
    PAYMENT_SENT = "payment_sent"
    CHANGE = "change"
    ADD = "add"
    REMOVE = "remove"
    YES = "yes"
    NO = "no"
    SMALL_TALK = "small_talk"
    UNKNOWN = "unknown"


QUESTIONS = {Intent.PRICE, Intent.OPTIONS, Intent.STOCK, Intent.FAQ}


@dataclass(frozen=True)
class Mention:
    """One item a message names. ``products`` holds one product when it is clear,
    several when the words fit them equally (ask which), none when no product was
    named ("yang hitam L 2")."""

    products: tuple[CatalogItem, ...] = ()
    colour: str | None = None
    size: str | None = None
    quantity: int | None = None
    more: int | None = None  # "tambah 1 lagi": this many more of the current item

    @property
    def product(self) -> CatalogItem | None:
        return self.products[0] if len(self.products) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.products) > 1

    @property
    def empty(self) -> bool:
        return (
            not self.products
            and self.colour is None
            and self.size is None
            and (self.quantity is None and self.more is None)
        )


@dataclass(frozen=True)
class Reading:
    intent: Intent
    items: tuple[Mention, ...] = ()
    topic: str | None = None  # for FAQ: the shop's topic
    question: bool = False  # the message asks something
    # What the customer may have meant, best first, when the intent is UNKNOWN.
    guesses: tuple[Intent, ...] = ()
    # How plainly a phrase said the intent: its word count, over 10 when the phrase was
    # the whole message ("batal", "menu"); 0 when items or a question decided it.
    strength: int = 0
    marked: bool = False  # a "?" was typed: plainly a question, even in an address
    order_ref: str | None = None  # "#12", "INV-2026-0012": the order the customer means

    @property
    def whole(self) -> bool:
        return self.strength >= 10

    @property
    def item(self) -> Mention | None:
        return self.items[0] if self.items else None
