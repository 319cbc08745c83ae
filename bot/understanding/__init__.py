"""Understanding what customers write: the language layer in front of the flows.

``Understanding(lexicon, catalog, topics).read(text)`` turns a message into a
``Reading``: an intent and the items it names. It is channel-neutral and never touches
the store; its words live in ``lexicon/*.toml``, which a shop extends."""

from bot.understanding.lexicon import Lexicon, LexiconProblem, load_lexicon
from bot.understanding.reading import QUESTIONS, Intent, Mention, Reading
from bot.understanding.understanding import Understanding

__all__ = [
    "QUESTIONS",
    "Intent",
    "Lexicon",
    "LexiconProblem",
    "Mention",
    "Reading",
    "Understanding",
    "load_lexicon",
]
