"""Phrases that say an intent, a topic or an edit, found in a message's words.

A phrase matches when its words stand in the message in order, with nothing between them
but politeness particles ("minta admin" in "minta kak admin"). A phrase written with a
leading "=" must be the whole message, particles aside ("=halo" matches "halo kak" but
not "halo kak mau pesan")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    label: str  # the intent, topic or edit it says
    whole: bool = False


@dataclass
class PhraseBook:
    particles: frozenset[str]
    by_first: dict[str, list[Phrase]] = field(default_factory=dict)
    # Whole-message phrases by their words other than particles.
    whole: dict[tuple[str, ...], list[Phrase]] = field(default_factory=dict)

    def add(self, phrase: Phrase) -> None:
        if not phrase.words:
            return
        if phrase.whole:
            content = tuple(w for w in phrase.words if w not in self.particles)
            self.whole.setdefault(content, []).append(phrase)
        else:
            self.by_first.setdefault(phrase.words[0], []).append(phrase)

    def find(self, tokens: tuple[str, ...]) -> dict[str, int]:
        """Each label found, with the word count of its longest phrase."""
        found: dict[str, int] = {}
        for i, token in enumerate(tokens):
            for phrase in self.by_first.get(token, ()):
                if self._at(tokens, i, phrase.words):
                    found[phrase.label] = max(found.get(phrase.label, 0), len(phrase.words))
        content = tuple(t for t in tokens if t not in self.particles)
        present = set(tokens)
        for phrase in self.whole.get(content, ()):
            if all(w in present for w in phrase.words):
                # Longer than any phrase inside a sentence: the message is exactly this.
                found[phrase.label] = max(found.get(phrase.label, 0), len(phrase.words) + 10)
        return found

    def _at(self, tokens: tuple[str, ...], start: int, words: tuple[str, ...]) -> bool:
        i = start + 1
        for word in words[1:]:
            while i < len(tokens) and tokens[i] != word and tokens[i] in self.particles:
                i += 1
            if i >= len(tokens) or tokens[i] != word:
                return False
            i += 1
        return True


def build(particles: Iterable[str], groups: dict[str, list[str]], normalise: object) -> PhraseBook:
    """A phrase book from ``{label: [phrase, ...]}``; ``normalise`` turns a phrase's text
    into words the way a message's are."""
    book = PhraseBook(frozenset(particles))
    for label, texts in groups.items():
        for text in texts:
            whole = text.startswith("=")
            words = normalise(text[1:] if whole else text)  # type: ignore[operator]
            book.add(Phrase(tuple(words), label, whole))
    return book
