"""The words of a plain answer to a yes-or-no question or a skippable one, in either
language; what a whole message means is read by ``bot.understanding``."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = ".!,;:~*_-"


def normalize(text: str) -> str:
    """Lower-case, single-spaced, without surrounding punctuation, for matching words."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", folded).strip().strip(_EDGE_PUNCTUATION).strip()


YES = {
    "ya",
    "y",
    "yes",
    "iya",
    "iyaa",
    "boleh",
    "ok",
    "oke",
    "okay",
    "setuju",
    "mau",
    "yup",
    "sip",
    "betul",
    "benar",
    "konfirmasi",
    "confirm",
    "lanjut",
    "ya, boleh",
    "yes, please",
}
NO = {
    "tidak",
    "no",
    "n",
    "ga",
    "gak",
    "nggak",
    "enggak",
    "tdk",
    "jangan",
    "tidak usah",
    "no, thanks",
    "no thanks",
    "tidak boleh",
    "ndak",
}
# Single words that make a sentence a "no", or at least not a clear "yes".
NEGATIONS = {"tidak", "tak", "ga", "gak", "nggak", "ngga", "enggak", "engga", "tdk", "jangan",
             "bukan", "belum", "batal", "no", "not", "dont", "don't", "never", "ndak", "gk",
             "cancel", "nope"}  # fmt: skip
# Words a plain "yes" is made of: "iya boleh", "ok ya", "yes", "pesan" (order it).
YES_WORDS = {"ya", "iya", "iyaa", "y", "yes", "boleh", "ok", "oke", "okay", "setuju", "mau", "sip",
             "betul", "benar", "lanjut", "confirm", "konfirmasi", "yup", "sure", "pesan", "order",
             "beli", "gas", "yuk"}  # fmt: skip
# Words that say nothing by themselves but come with an answer: "iya kak", "tidak, terima
# kasih", "ga usah", "gak mau".
POLITE = {"kak", "kakak", "min", "admin", "sis", "gan", "dong", "deh", "aja", "saja", "please",
          "terima", "kasih", "makasih", "thanks", "thank", "you", "lah", "sih"}  # fmt: skip
WITH_A_NO = POLITE | {"mau", "usah", "perlu", "dulu", "jadi"}
SKIP = {"lewati", "skip", "lewat", "nanti", "later", "-"}
