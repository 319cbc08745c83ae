"""The shop's own file (``shop.toml``): its facts and its answers to the questions every
olshop gets (shipping, payment, COD, hours, address, returns, and its own topics).

The owner edits one file; Langgan reads it at start-up and says plainly what is wrong
with it, naming the topic, before any customer is waiting."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from crm_core.customers.cities import bare_name, normalise_city
from crm_core.errors import InputError

LANGUAGES = ("id", "en")
MAX_ANSWER = 3_000  # an answer is one chat message
MAX_FILE_BYTES = 200_000


@dataclass(frozen=True)
class ShopFile:
    path: Path | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # [shop]: name, city, ...
    # topic -> language -> the answer's Jinja2 source
    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    # topic -> the ways customers ask it, for topics the lexicon does not know
    phrases: dict[str, list[str]] = field(default_factory=dict)
    shipping: ShippingRule = field(default_factory=lambda: ShippingRule())
    orders: OrderRules = field(default_factory=lambda: OrderRules())

    def answer(self, topic: str, language: str) -> str | None:
        texts = self.answers.get(topic) or {}
        return texts.get(language) or texts.get("id") or texts.get("en")


def load_shop_file(path: Path | None) -> ShopFile:
    """The shop file at ``path``; an empty one when there is none (every question then
    goes to the team)."""
    if path is None or not path.is_file():
        return ShopFile(path)
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise InputError("file_too_large", file=str(path), kb=MAX_FILE_BYTES // 1000)
    try:
        parsed = tomllib.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError("file_unreadable", file=str(path), detail=str(exc)) from None
    facts = parsed.get("shop", {})
    if not isinstance(facts, dict):
        raise InputError("shop_table", where=str(path))
    answers: dict[str, dict[str, str]] = {}
    phrases: dict[str, list[str]] = {}
    table = parsed.get("answers", {})
    if not isinstance(table, dict):
        raise InputError("answers_table", where=str(path))
    for topic, entry in table.items():
        where = f"{path} [answers.{topic}]"
        if not isinstance(entry, dict):
            raise InputError("answer_entry", where=where)
        texts = {lang: entry[lang] for lang in LANGUAGES if lang in entry}
        for lang, text in texts.items():
            if not isinstance(text, str) or not text.strip():
                raise InputError("answer_text", where=where, lang=lang)
            if len(text) > MAX_ANSWER:
                raise InputError("answer_too_long", where=where, lang=lang, most=MAX_ANSWER)
        if not texts:
            raise InputError("answer_missing", where=where)
        asked = entry.get("phrases", [])
        if not isinstance(asked, list) or not all(isinstance(p, str) for p in asked):
            raise InputError("answer_phrases", where=where)
        answers[str(topic)] = {lang: text.strip() for lang, text in texts.items()}
        if asked:
            phrases[str(topic)] = [p.casefold() for p in asked]
    return ShopFile(
        path,
        dict(facts),
        answers,
        phrases,
        shipping_rule(parsed.get("shipping"), str(path)),
        order_rules(parsed.get("orders"), str(path)),
    )


@dataclass(frozen=True)
class OrderRules:
    """What happens to orders over time, from ``[orders]`` in the shop's file.

    - ``invoice_prefix``: an order's number is this prefix and a sequence
      (``INV-2026-0001``); ``{year}`` in it is the year the order was placed, so the
      sequence starts again every year;
    - ``remind_unpaid_after``: an order still unpaid this long after it was placed gets
      one payment reminder;
    - ``cancel_unpaid_after``: and is cancelled this long after, its stock released
      ("never" keeps it open until the team decides);
    - ``handoff_timeout``: a chat handed to a person with no message either way for this
      long goes back to the bot."""

    invoice_prefix: str = "INV-{year}-"
    remind_unpaid_after: timedelta | None = timedelta(hours=24)
    cancel_unpaid_after: timedelta | None = timedelta(hours=72)
    handoff_timeout: timedelta = timedelta(hours=24)

    def invoice_series(self, year: int) -> str:
        return self.invoice_prefix.replace("{year}", str(year))


_DURATION = re.compile(r"^\s*(\d{1,4})\s*(m|h|d)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def order_rules(table: Any, where: str) -> OrderRules:
    if table is None:
        return OrderRules()
    if not isinstance(table, dict):
        raise InputError("orders_table", where=where)
    defaults = OrderRules()

    def duration(name: str, default: timedelta | None, *, never: bool) -> timedelta | None:
        value = table.get(name)
        if value is None:
            return default
        if never and str(value).strip().casefold() == "never":
            return None
        match = _DURATION.match(str(value))
        if match is None or int(match.group(1)) == 0:
            raise InputError(
                "orders_duration", where=where, name=name, value=str(value), never=never
            )
        return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})

    prefix = table.get("invoice_prefix", defaults.invoice_prefix)
    if not isinstance(prefix, str) or len(prefix.replace("{year}", "2026")) > 24:
        raise InputError("invoice_prefix_length", where=where)
    if "{" in prefix.replace("{year}", "") or "}" in prefix.replace("{year}", ""):
        raise InputError("invoice_prefix_braces", where=where)
    rules = OrderRules(
        prefix,
        duration("remind_unpaid_after", defaults.remind_unpaid_after, never=True),
        duration("cancel_unpaid_after", defaults.cancel_unpaid_after, never=True),
        duration("handoff_timeout", defaults.handoff_timeout, never=False)
        or defaults.handoff_timeout,
    )
    remind, cancel = rules.remind_unpaid_after, rules.cancel_unpaid_after
    if remind is not None and cancel is not None and cancel <= remind:
        raise InputError("orders_cancel_before_remind", where=where)
    return rules


@dataclass(frozen=True)
class ShippingRule:
    """How the shop charges shipping, from ``[shipping]`` in its file.

    - ``confirm``: the team works it out after the order and sends the total;
    - ``flat``: one fee everywhere;
    - ``per_city``: a fee per city (``cities``), ``default`` for the rest (none: the team
      confirms those);
    - ``free_above``: no fee when the goods come to at least this much."""

    mode: str = "confirm"
    flat: int | None = None
    cities: dict[str, int] = field(default_factory=dict)
    default: int | None = None
    free_above: int | None = None

    def fee(self, city: str | None, goods: int) -> int | None:
        """The fee for goods worth ``goods`` to ``city``; None when the team confirms."""
        if self.free_above is not None and goods >= self.free_above:
            return 0
        if self.mode == "flat":
            return self.flat
        if self.mode == "per_city":
            wanted = city_name(city)
            for name, fee in self.cities.items():
                if city_name(name) == wanted:
                    return fee
            return self.default
        return None


MODES = ("confirm", "flat", "per_city")


def city_name(city: str | None) -> str:
    """A city as one key, whatever the shortening: "Sby" and "Surabaya" are one. A
    regency pays the fee of the city it is named after ("Kab. Bandung", Bandung's)."""
    return bare_name(normalise_city(city)).casefold()


MAX_FEE = 10_000_000


def shipping_rule(table: Any, where: str) -> ShippingRule:
    if table is None:
        return ShippingRule()
    if not isinstance(table, dict):
        raise InputError("shipping_table", where=where)
    mode = str(table.get("mode", "confirm"))
    if mode not in MODES:
        raise InputError("shipping_mode", where=where, mode=mode, known=", ".join(MODES))

    def money(name: str, value: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FEE:
            raise InputError("shipping_money", where=where, name=name)
        return value

    cities = table.get("cities", {})
    if not isinstance(cities, dict):
        raise InputError("shipping_cities", where=where)
    rule = ShippingRule(
        mode,
        money("flat", table.get("flat")),
        {str(k): money(f"cities.{k}", v) or 0 for k, v in cities.items()},
        money("default", table.get("default")),
        money("free_above", table.get("free_above")),
    )
    if mode == "flat" and rule.flat is None:
        raise InputError("shipping_flat_missing", where=where)
    if mode == "per_city" and not rule.cities:
        raise InputError("shipping_cities_missing", where=where)
    return rule
