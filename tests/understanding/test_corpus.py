"""Shoppers are understood: the corpus of messages written the way Indonesian customers
write on WhatsApp (tests/understanding/), each read as a shop assistant would."""

from __future__ import annotations

import pytest

from tests.understanding.corpus import cases, score
from tests.understanding.shop import corpus_understanding

GOAL = 0.95
MIN_MESSAGES = {"id": 300, "en": 100}


@pytest.fixture(scope="module")
def understanding():  # type: ignore[no-untyped-def]
    return corpus_understanding()


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_corpus_is_read_right_at_least_95_percent(understanding, language: str):  # type: ignore[no-untyped-def]
    overall, by_category = score(understanding.read, language)
    assert overall.total >= MIN_MESSAGES[language]
    misses = "\n".join(
        f"  {case.category}: {case.message!r} -> {got}"
        for category in by_category.values()
        for case, got in category.misses
    )
    assert overall.share >= GOAL, f"{overall.right}/{overall.total} right; misses:\n{misses}"


def test_the_corpus_has_every_intent_in_both_languages():
    from bot.understanding import Intent

    asked = {Intent.START}  # Telegram's own /start, not something customers type
    for language in ("id", "en"):
        seen = {case.expected.intent for case in cases(language)}
        missing = {i.value for i in Intent} - seen - {i.value for i in asked}
        assert not missing, f"{language}: no example of {sorted(missing)}"
