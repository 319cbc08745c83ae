"""From a chat message to plain words: what every other part of understanding reads.

"Kak mau pesen yg itemmm uk L 2x ya 🙏" becomes ``mau pesan yang hitam ukuran l 2 x``
plus what was stripped (a question mark, a sum of money, a phone number). Case, emoji and
punctuation go; letters typed three times or more are squeezed; slang becomes its plain
form; a reduplicated word (``abu2``, ``abu-abu``) becomes one; the shop's words for
colours, sizes and products become one token each (``dusty pink`` -> ``dusty_pink``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MONEY = "<money>"
PHONE = "<phone>"
SEPARATOR = "<sep>"  # a comma, a semicolon, a new line: where one item may end
REFERENCE = "<ref>"  # "#1023": an order's number

_MONEY = re.compile(
    r"(?:\brp\.?\s*\d[\d.,]*(?:\s*(?:rb|ribu|k|jt|juta)\b)?)"
    r"|(?:\b\d+(?:[.,]\d+)?\s*(?:rb|ribu|rebu|k|jt|juta)\b)"
    r"|(?:\b\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?\b)"
)
_PHONE = re.compile(r"(?:\+?62|\b0)8[\d\s-]{7,14}\d")
_LONG_NUMBER = re.compile(r"\b\d{7,}\b")
_SEPARATORS = re.compile(r"[,;\n/+]+")
_REFERENCE = re.compile(r"#\s*\d+|\b[a-z]{2,8}[-/.]\d{2,4}[-/.]\d{1,6}\b")
_LAUGHTER = re.compile(r"\b(?:(?:wk)+w?|(?:ha){2,}h?|(?:he){2,}h?|(?:hi){2,}h?|(?:xi){2,})\b")
_REDUPLICATED = re.compile(r"\b([a-z]{3,})(?:2|-\1)\b")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_TOKEN = re.compile(r"<\w+>|[a-z0-9_&]+")
_TRIPLES = re.compile(r"([a-z])\1{2,}")
_DOUBLES = re.compile(r"([a-z])\1")
# Pictures that stand for a word.
EMOJI_WORDS = {"👍": " oke ", "👌": " oke ", "🙏": " ", "❤": " ", "😭": " ", "?": " ? "}


@dataclass(frozen=True)
class Words:
    tokens: tuple[str, ...]
    question: bool  # a "?" was typed
    money: bool  # a sum of money was written ("150rb", "Rp 150.000")
    phone: bool  # a phone number was written

    def __contains__(self, token: object) -> bool:
        return token in self.tokens


class Normaliser:
    """Turns text into ``Words`` with one lexicon and one set of known words."""

    def __init__(
        self,
        slang: dict[str, str],
        phrases: dict[tuple[str, ...], str],
        known: Iterable[str],
    ) -> None:
        self.slang = {k: tuple(v.split()) for k, v in slang.items()}
        # Multi-word names become one token, longest first: "biru dongker" before "biru".
        self.phrases = phrases
        self.longest = max((len(p) for p in phrases), default=1)
        self.known = set(known)

    def words(self, text: str) -> Words:
        folded = unicodedata.normalize("NFKC", text).casefold()
        for emoji, word in EMOJI_WORDS.items():
            folded = folded.replace(emoji, word)
        question = "?" in folded
        folded = folded.replace("'", "").replace("’", "").replace("j&t", "jnt")
        folded = _REFERENCE.sub(f" {REFERENCE} ", folded)  # before its digits read as a phone
        phone = bool(_PHONE.search(folded))
        folded = _PHONE.sub(f" {PHONE} ", folded)
        money = bool(_MONEY.search(folded))
        folded = _MONEY.sub(f" {MONEY} ", folded)
        folded = _LONG_NUMBER.sub(f" {PHONE} ", folded)
        folded = _LAUGHTER.sub(" haha ", folded)
        folded = _SEPARATORS.sub(f" {SEPARATOR} ", folded)
        folded = _REDUPLICATED.sub(r"\1", folded)
        folded = _LETTER_DIGIT.sub(" ", folded)
        tokens: list[str] = []
        for raw in _TOKEN.findall(folded):
            tokens.extend(self._plain(raw))
        return Words(self._join(tokens), question, money, phone)

    def _plain(self, raw: str) -> tuple[str, ...]:
        if raw.startswith("<"):
            return (raw,)
        token = _TRIPLES.sub(r"\1", raw)
        if token not in self.known and token not in self.slang:
            token = self._squeezed(token)
        if token in self.slang:
            return self.slang[token]
        if token not in self.known:
            return self._stem(token)
        return (token,)

    def _stem(self, token: str) -> tuple[str, ...]:
        """``topinya`` -> ``topi``, ``dicoret`` -> ``coret``, ``pengirimanku`` ->
        ``pengiriman``: an affix around a word we know."""
        for prefix in ("", "di", "ku"):
            if not token.startswith(prefix):
                continue
            word = token[len(prefix) :]
            for suffix in ("", "nya", "ku", "mu", "in", "kan", "an", "s", "lah"):
                stem = word[: len(word) - len(suffix)] if suffix else word
                if (prefix or suffix) and word.endswith(suffix) and len(stem) >= 3:
                    if stem in self.slang:
                        return self.slang[stem]
                    if stem in self.known:
                        return (stem,)
        return (token,)

    def _squeezed(self, token: str) -> str:
        """``okee`` -> ``oke``, ``kakk`` -> ``kak``: a doubled letter that makes no word."""
        single = _DOUBLES.sub(r"\1", token)
        if single != token and (single in self.known or single in self.slang):
            return single
        return token

    def _join(self, tokens: list[str]) -> tuple[str, ...]:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                name = self.phrases.get(tuple(tokens[i : i + n]))
                if name is not None:
                    out.append(name)
                    i += n
                    break
            else:
                out.append(tokens[i])
                i += 1
        return tuple(out)
