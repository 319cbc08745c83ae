"""Rules of the language layer that a corpus line alone would not pin down, each with
the reason it exists."""

from __future__ import annotations

import pytest

from bot.understanding import Intent, Understanding, load_lexicon
from crm_core.sales.catalog import Catalog, CatalogItem
from tests.understanding.corpus import shown

KAOS = CatalogItem(1, "Kaos Polos", 75_000, ("Hitam", "Putih"), ("S", "M", "L"))
SERI_2 = CatalogItem(2, "Kemeja Motif Seri 2", 120_000, ("Biru",), ("M", "L"))
SERI_3 = CatalogItem(3, "Kemeja Motif Seri 3", 125_000, ("Biru",), ("M", "L"))
HIJAB = CatalogItem(4, "Hijab Voal", 45_000, ("Mocca",), (), ("jilbab",), (("moka", "Mocca"),))


@pytest.fixture(scope="module")
def read():  # type: ignore[no-untyped-def]
    return Understanding(load_lexicon(), Catalog((KAOS, SERI_2, SERI_3, HIJAB))).read


def test_a_number_in_a_product_name_is_not_a_quantity_elsewhere(read):  # type: ignore[no-untyped-def]
    """Found by the benchmark: with "Seri 2" in the catalog, the 2 of "kaos hitam L 2"
    was read as a product and the quantity was lost."""
    assert shown(read("kaos hitam L 2")) == "order [Kaos Polos|Hitam|L|2]"
    assert shown(read("kemeja motif seri 2 biru L 1")) == "order [Kemeja Motif Seri 2|Biru|L|1]"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("transfer 150rb ya kak", Intent.PAYMENT_SENT),  # a sum, not 150 pieces
        ("stop, ukurannya salah kirim", Intent.COMPLAINT),  # not an opt-out
        ("STOP", Intent.OPT_OUT),
        ("jangan kirim promo lagi ya", Intent.OPT_OUT_ASK),  # confirmed before it counts
        ("/catat 12: suka hitam", Intent.UNKNOWN),  # an agent's command, typed by a customer
        ("/pesan", Intent.ORDER),
        ("P", Intent.GREETING),
    ],
)
def test_what_a_whole_message_means(read, text: str, intent: Intent):  # type: ignore[no-untyped-def]
    assert read(text).intent is intent


def test_a_phone_number_or_an_address_is_never_a_quantity(read):  # type: ignore[no-untyped-def]
    assert shown(read("jilbab moka 1 kirim ke 081234567890")) == "order [Hijab Voal|Mocca|-|1]"
    reading = read("kaos putih M 1, alamat jl melati no 12 rt 03")
    assert shown(reading) == "order [Kaos Polos|Putih|M|1]"


def test_the_shops_words_for_a_product_and_a_colour(read):  # type: ignore[no-untyped-def]
    assert shown(read("jilbab moka 2")) == "order [Hijab Voal|Mocca|-|2]"


def test_a_typo_finds_the_product_but_a_different_word_does_not(read):  # type: ignore[no-untyped-def]
    assert shown(read("kaos poloss itam M 1")) == "order [Kaos Polos|Hitam|M|1]"
    assert read("kapan kamis bisa dikirim").items == ()


def test_nothing_a_customer_types_raises(read):  # type: ignore[no-untyped-def]
    for text in ("", " ", "🙏" * 500, "\u202e\u0000", "9" * 5000, "kaos " * 1000, "x2 x2 x2"):
        read(text)
