"""Reading a customer's message: what they want, and which items they name.

``Understanding`` is built once per catalog (and lexicon, and the shop's question topics)
and then reads any number of messages; it never touches the store. The rules that pick
an intent are in ``decide``: the words say several things at once ("halo kak, kaos
hitam L ready?" greets, names an item and asks), and the order of the rules there is
what a shop assistant would answer first."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Mapping

from bot.understanding.catalog_words import CatalogWords, key
from bot.understanding.items import ItemReader
from bot.understanding.lexicon import Lexicon
from bot.understanding.phrases import build
from bot.understanding.reading import Intent, Mention, Reading
from bot.understanding.words import SEPARATOR, Normaliser, Words
from crm_core.sales.catalog import Catalog

# Whole messages that are an opt-out at once (Twilio's standard words among them); any
# longer sentence is read for its meaning instead ("stop, ukurannya salah" is a complaint).
OPT_OUT_WORDS = {"stop", "berhenti", "stopall", "unsubscribe", "revoke", "optout", "opt out",
                 "cancel", "end", "quit"}  # fmt: skip
# CANCEL, END and QUIT are Twilio's opt-out words too, but mean "cancel this order" to a
# customer in the middle of one: the engine decides by where the customer is.
OPT_OUT_WHEN_IDLE = {"cancel", "end", "quit"}
YES_WORDS = {"ya", "iya", "y", "yes", "boleh", "oke", "ok", "setuju", "sip", "betul", "benar",
             "lanjut", "gas", "ayo", "konfirmasi", "confirm", "sure", "yup", "siap", "yakin",
             "correct", "right", "deal", "okay", "yep", "please", "fix", "mau", "bisa", "go",
             "ahead", "sounds", "good"}  # fmt: skip
NO_WORDS = {"tidak", "no", "n", "jangan", "nope", "not", "belum", "usah", "perlu", "dulu",
            "nanti", "thanks", "need", "now"}  # fmt: skip
PAID = {"transfer", "paid", "bayar", "lunas", "pay", "transferred"}
ERASE = {"hapus", "delete", "erase", "remove", "wipe", "dihapus"}
# Words that point at an order already placed: cancelling it is not cancelling this step.
PLACED = {"pesanan", "kemarin", "tadi", "td", "<ref>", "checkout", "yesterday", "placed",
          "last"}  # fmt: skip
NEGATIONS = {"tidak", "no", "jangan", "nope", "not", "belum", "bukan"}
CHANGING = {"ganti", "change", "instead", "switch", "tukar"}
POINTING = {"ini", "itu", "this", "that"}
WHY = {"kenapa", "why", "kok", "mengapa"}
# Words that put a payment in the future, or deny it: not a claim to check.
NOT_YET = {"belum", "nanti", "mau", "akan", "will", "going", "besok", "ingin", "tomorrow", "later"}
TELL = {"kabar", "kabari", "kabarin", "info", "kirim", "send", "get", "dapat", "terima", "receive"}
PROMOTIONS = {"promo", "promosi", "broadcast", "iklan", "diskon", "promos", "promotions", "ads",
              "offers", "newsletter", "marketing"}  # fmt: skip
REFUSING = {"jangan", "stop", "berhenti", "udahan", "capek", "risih", "ganggu", "no", "unsubscribe",
            "hentikan"}  # fmt: skip
ADDING = {"tambah", "add", "plus", "sekalian", "also", "another", "juga", "too"}
PRICE_WORDS = {"harga", "price", "cost", "costs", "much", "pricing", "harganya"}
# Intents said by a phrase that stand above any item named alongside them, strongest first.
STRONG = (
    Intent.UPDATE,  # "ubah data saya" is a change, not a request for a copy
    Intent.DATA_ERASURE,
    Intent.DATA_ACCESS,
    Intent.LANG_EN,
    Intent.LANG_ID,
    Intent.OPT_OUT_ASK,
    Intent.CANCEL_ORDER,
    Intent.COMPLAINT,
    Intent.PERSON,
    Intent.PAYMENT_SENT,
    Intent.ORDER_STATUS,
    Intent.MY_ORDERS,
)
# Intents said by a phrase that yield to items, questions and topics.
WEAK = (
    Intent.OPT_IN,
    Intent.CATALOG,
    Intent.CANCEL,
    Intent.HELP,
    Intent.MENU,
    Intent.ORDER,
    Intent.THANKS,
    Intent.GREETING,
    Intent.SMALL_TALK,
)
# "#12", or an invoice number as the shop prints it ("INV-2026-0012", "TK/2026/12").
_REFERENCE = re.compile(r"#\s*(\d{1,9})\b|\b([a-z]{2,8}[-/.]\d{2,4}[-/.]\d{1,6})\b", re.I)


class Understanding:
    def __init__(
        self,
        lexicon: Lexicon,
        catalog: Catalog,
        topics: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.lexicon = lexicon
        known = _lexicon_words(lexicon)
        base = Normaliser(lexicon.slang, {}, known)
        self.catalog = CatalogWords()
        phrases: dict[tuple[str, ...], str] = {}
        self._add_catalog(catalog, base, phrases)
        catalog_tokens = set(self.catalog.product_words) | set(self.catalog.colours)
        catalog_tokens |= set(self.catalog.sizes) | self.catalog.known_colours
        self.known = known | catalog_tokens | set(phrases.values())
        self.normaliser = Normaliser(lexicon.slang, phrases, self.known)
        self.items = ItemReader(self.catalog, lexicon.numbers, lexicon.multipliers, lexicon.units)
        words = self._phrase_words
        self.intents = build(lexicon.particles, lexicon.intents, words)
        all_topics = {name: list(texts) for name, texts in lexicon.topics.items()}
        for name, texts in (topics or {}).items():
            all_topics.setdefault(name, []).extend(str(t).casefold() for t in texts)
        self.topics = build(lexicon.particles, all_topics, words)
        self.edits = build(lexicon.particles, lexicon.edits, words)
        self.asks = build(lexicon.particles, lexicon.product_questions, words)
        self.commands = {
            phrase[1:].split()[0]
            for phrases in lexicon.intents.values()
            for phrase in phrases
            if phrase.startswith("=/")
        }
        self.particles = lexicon.particles
        # Words that can say nothing about an item: everything the lexicon knows that the
        # catalog does not use.
        self.not_catalog = self.known - set(self.catalog.product_words)

    def _phrase_words(self, text: str) -> tuple[str, ...]:
        return self.normaliser.words(text).tokens

    def _add_catalog(
        self, catalog: Catalog, base: Normaliser, phrases: dict[tuple[str, ...], str]
    ) -> None:
        lex = self.lexicon
        cat = self.catalog
        name: str
        for name, synonyms in lex.colours.items():
            token = key(base.words(name).tokens)
            cat.known_colours.add(token)
            for synonym in [name, *synonyms]:
                words = base.words(synonym).tokens
                if len(words) > 1 or words != (token,):
                    phrases.setdefault(words, token)
        for name, synonyms in lex.sizes.items():
            token = key(base.words(name).tokens)
            cat.known_sizes.add(token)
            for synonym in [name, *synonyms]:
                words = base.words(synonym).tokens
                if words != (token,):
                    phrases.setdefault(words, token)
        for item in catalog.items:
            name_tokens = base.words(item.name).tokens
            nicknames = [base.words(a).tokens for a in item.aliases]
            cat.add_product(item, name_tokens, nicknames)
            for colour in item.colours:
                words = base.words(colour).tokens
                cat.add_option(cat.colours, key(words), item, colour)
                if len(words) > 1:
                    phrases[words] = key(words)
            for size in item.sizes:
                words = base.words(size).tokens
                cat.add_option(cat.sizes, key(words), item, size)
                if len(words) > 1:
                    phrases[words] = key(words)
            for word, option in item.option_aliases:
                target = key(base.words(option).tokens)
                phrases[base.words(word).tokens] = target
        # Everyday words for kinds of product ("tee" for "kaos"), where the catalog uses
        # the kind's word and not the everyday one.
        for kind, synonyms in lex.products.items():
            target = key(base.words(kind).tokens)
            if target not in cat.product_words:
                continue
            for synonym in synonyms:
                words = base.words(synonym).tokens
                if not (set(words) & set(cat.product_words)):
                    phrases.setdefault(words, target)
        cat.finish()

    def read(self, text: str) -> Reading:
        plain = " ".join(text.casefold().split()).strip(" .!,~*_-")
        if plain in OPT_OUT_WORDS:
            return Reading(Intent.OPT_OUT)
        if plain.startswith("/"):
            # A slash command is a customer's only when it is one of theirs ("/pesan");
            # an agent's command typed by a customer is not read for its words.
            command = plain.split()[0].split("@")[0]
            if command == "/start":
                return Reading(Intent.START, strength=10)
            if command not in self.commands or len(plain.split()) > 1:
                return Reading(Intent.UNKNOWN)
        words = self.normaliser.words(text)
        reading = decide(self, words)
        ref = _REFERENCE.search(text)
        if ref or words.question:
            number = (ref.group(1) or ref.group(2)) if ref else None
            reading = dataclasses.replace(reading, marked=words.question, order_ref=number)
        return reading


def _lexicon_words(lex: Lexicon) -> set[str]:
    known: set[str] = set()
    known |= lex.particles | lex.fillers | lex.units | lex.questions
    known |= set(lex.numbers) | set(lex.multipliers)
    for source, target in lex.slang.items():
        known.add(source)
        known.update(target.split())
    for table in (lex.intents, lex.edits, lex.product_questions, lex.topics):
        for phrases in table.values():
            for phrase in phrases:
                known.update(phrase.lstrip("=").split())
    for table in (lex.colours, lex.sizes, lex.products):
        for name, synonyms in table.items():
            known.update(name.split())
            for synonym in synonyms:
                known.update(synonym.split())
    return known


def decide(u: Understanding, words: Words) -> Reading:
    tokens = words.tokens
    if not tokens or all(t.startswith("<") for t in tokens):
        if words.money:
            return Reading(Intent.PAYMENT_SENT)
        return Reading(Intent.UNKNOWN, question=words.question)
    said = {Intent(label): length for label, length in u.intents.find(tokens).items()}
    topics = u.topics.find(tokens)
    edits = u.edits.find(tokens)
    asks = u.asks.find(tokens)
    present = set(tokens)
    question = words.question or bool(u.lexicon.questions & present) or _tag_question(tokens, u)
    items = tuple(m for m in u.items.read(tokens, u.not_catalog) if not m.empty)
    named = tuple(m for m in items if m.products)
    if not named and not (edits or Intent.ORDER in said) and not _counting(tokens, u):
        # A number alone is a quantity only where one is being talked about.
        items = tuple(m for m in items if m.colour or m.size)

    short = _only(tokens, u.particles | {"itu", "ini", SEPARATOR})
    if short and not words.question:
        if short <= YES_WORDS and not short & NO_WORDS:
            return Reading(Intent.YES)
        if short <= NO_WORDS | YES_WORDS and short & NEGATIONS:
            return Reading(Intent.NO)
    if present & PROMOTIONS and (present & REFUSING or _refused(tokens)):
        return Reading(Intent.OPT_OUT_ASK, strength=2)  # "ga mau dapet pesan promosi lagi"
    if present & PROMOTIONS and present & {"lagi", "again"} and present & TELL and not named:
        return Reading(Intent.OPT_IN, strength=2)  # "kabarin aku kalo ada diskon lagi"
    if (
        present & ERASE
        and present & {"sistem", "system", "akun", "account"}
        and (
            "lama" not in present  # "hapus alamat lama saya": an update, not an erasure
        )
    ):
        return Reading(Intent.DATA_ERASURE, strength=2)
    if Intent.DATA_ACCESS in said and present & ERASE and "lama" not in present:
        return Reading(Intent.DATA_ERASURE)
    cancelling = said.get(Intent.CANCEL) or said.get(Intent.CANCEL_ORDER)
    placed = "pesanan" in present and present & (PLACED - {"pesanan"})
    if (cancelling or present & {"cancel", "batal"}) and (not named or placed):
        if present & WHY or (words.question and present & {"sudah", "apa", "kah"}):
            return Reading(Intent.ORDER_STATUS, question=True)  # "kenapa pesanan saya batal?"
        if Intent.CANCEL_ORDER in said or (present & PLACED and not _only_current(present)):
            return Reading(Intent.CANCEL_ORDER)

    if (
        present & NOT_YET
        and (present & PAID or Intent.PAYMENT_SENT in said)
        and not (named or cancelling or present & {"batal", "cancel"})
    ):
        # "belum transfer", "nanti aku transfer": not a claim to check, but a customer
        # about to pay, who is best answered with how to.
        return Reading(Intent.FAQ, topic="payment", question=question)
    elif words.money and present & PAID and not words.question and not named:
        return Reading(Intent.PAYMENT_SENT)

    strong = _strongest(said, STRONG)
    if strong is not None:
        intent, length = strong
        asked_topic = _best(topics)
        if (
            intent is Intent.COMPLAINT
            and question
            and asked_topic
            and topics[asked_topic] >= length
        ):
            return Reading(Intent.FAQ, topic=asked_topic, question=True)
        if intent is Intent.PAYMENT_SENT and question and asked_topic == "payment":
            return Reading(Intent.FAQ, topic="payment", question=True)
        if (
            intent in (Intent.PAYMENT_SENT, Intent.UPDATE, Intent.MY_ORDERS)
            and named
            and (length < 2)
        ):
            pass  # "transfer" or "pesanan" beside a product: read the items below
        else:
            return Reading(intent, question=question, strength=length)

    topic = _best(topics)
    ask = _product_question(asks, question, present, bool(named))
    if named:
        counted = any(m.quantity for m in named)
        if (
            topic is not None
            and Intent.ORDER not in said
            and ask is None
            and (question or not any(m.quantity or m.colour or m.size for m in named))
        ):
            # "bahannya apa kak kaos polosnya?", "hijab voalnya adem ga bahannya"
            return Reading(Intent.FAQ, topic=topic, question=question)
        if _changes(tokens, said) and not question:
            return Reading(Intent.CHANGE, named[-1:])
        removing = "remove" in edits or {"take", "out"} <= present
        if removing and not (ask and words.question) and not counted:
            return Reading(Intent.REMOVE, named)
        if (present & ADDING or _first(tokens, u) in ("sama", "plus")) and not question:
            return Reading(Intent.ADD, items)
        if ask is Intent.OPTIONS:
            return Reading(ask, tuple(Mention(m.products) for m in named), question=True)
        if ask is not None:
            # A question names what it asks about; "brp sepotong" is not an order of one.
            asked = tuple(Mention(m.products, m.colour, m.size) for m in items)
            return Reading(ask, asked, question=True)
        if (
            question
            and words.question
            and not counted
            and Intent.ORDER not in said
            and (any(m.colour or m.size for m in named))
        ):
            # "topinya allsize kan kak?": asking what there is, not ordering it.
            return Reading(Intent.OPTIONS, tuple(Mention(m.products) for m in named), question=True)
        return Reading(Intent.ORDER, items, question=question)

    if items:
        if ask is not None and not (Intent.ORDER in said and not words.question):
            return Reading(ask, items, question=True)
        if Intent.ORDER in said and not edits.get("change") and not said.get(Intent.CANCEL):
            return Reading(Intent.ORDER, items)
        return Reading(Intent.CHANGE, items)

    if topic is not None:
        weak = _strongest(said, WEAK)
        if weak is None or weak[1] < 10:
            return Reading(Intent.FAQ, topic=topic, question=question)
    if ask is not None and Intent.CATALOG not in said:
        return Reading(ask, (Mention(),), question=True)
    weak = _strongest(said, WEAK)
    if weak is not None:
        return Reading(weak[0], question=question, strength=weak[1])
    return Reading(Intent.UNKNOWN, question=question, guesses=_guesses(said, topics, asks))


def _only(tokens: tuple[str, ...], ignored: set[str]) -> set[str]:
    """The message's words other than ``ignored``, when it is short enough to be a
    plain answer ("iya kak", "ga usah deh"); else empty."""
    if len(tokens) > 6:
        return set()
    kept = {t for t in tokens if t not in ignored or t in YES_WORDS or t in NO_WORDS}
    return kept


def _refused(tokens: tuple[str, ...]) -> bool:
    """ "tidak mau", "tidak usah", "tidak perlu": a no to something, not any "ga"."""
    return any(
        a == "tidak" and b in ("mau", "usah", "perlu", "ingin")
        for a, b in itertools.pairwise(tokens)
    )


def _changes(tokens: tuple[str, ...], said: dict[Intent, int]) -> bool:
    """A change of mind about a named item: "ganti", "instead", and (when the message
    does not order) "jadi 2", "30 bukan 32"; never "ga jadi", which drops it."""
    for i, token in enumerate(tokens):
        if token in CHANGING:
            return True
        if token in ("jadi", "bukan") and Intent.ORDER not in said:
            if not (token == "jadi" and i and tokens[i - 1] == "tidak"):
                return True
    return False


def _first(tokens: tuple[str, ...], u: Understanding) -> str:
    return next((t for t in tokens if t not in u.particles), "")


def _tag_question(tokens: tuple[str, ...], u: Understanding) -> bool:
    """ "adem ga?", "ready belum": a sentence ending in a no asks."""
    content = [t for t in tokens if t not in u.particles]
    return len(content) > 1 and content[-1] in ("tidak", "belum")


def _counting(tokens: tuple[str, ...], u: Understanding) -> bool:
    """The message is a number and nothing else to speak of ("setengah lusin aja",
    "2 aja jangan 3")."""
    numbers = set(u.lexicon.numbers) | set(u.lexicon.multipliers) | u.lexicon.units
    return all(
        t.isdecimal()
        or t in numbers
        or t in u.particles
        or t in NEGATIONS
        or t == "setengah"
        or t in ("mau", "jadi", "jangan", "bukan", "jumlah")
        for t in tokens
    )


def _only_current(present: set[str]) -> bool:
    return bool(present & {"ini", "this"}) and not present & {"pesanan", "kemarin", "<ref>"}


def _strongest(said: dict[Intent, int], order: tuple[Intent, ...]) -> tuple[Intent, int] | None:
    best: tuple[Intent, int] | None = None
    for intent in order:
        length = said.get(intent)
        if length and (best is None or length > best[1]):
            best = (intent, length)
    return best


def _best(found: dict[str, int]) -> str | None:
    return max(found, key=lambda k: found[k]) if found else None


def _product_question(
    asks: dict[str, int], question: bool, present: set[str], named: bool
) -> Intent | None:
    if "options" in asks and question:
        return Intent.OPTIONS
    if "stock" in asks and "stok" in present:
        return Intent.STOCK  # "sisa brp?": how many are left
    if "price" in asks and (named or present & (PRICE_WORDS | POINTING) or len(present) <= 3):
        return Intent.PRICE
    if "stock" in asks and question:
        return Intent.STOCK
    if "options" in asks and (
        question or present & {"warna", "ukuran", "size", "sizes", "colours"}
    ):
        return Intent.OPTIONS
    return None


def _guesses(
    said: dict[Intent, int], topics: dict[str, int], asks: dict[str, int]
) -> tuple[Intent, ...]:
    guesses = sorted(said, key=lambda i: -said[i])
    if topics:
        guesses.append(Intent.FAQ)
    return tuple(guesses[:3])
