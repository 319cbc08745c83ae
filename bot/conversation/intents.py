"""Words that always work, in either language, whatever step the customer is on."""

from __future__ import annotations

import re
import unicodedata
from enum import Enum


class Intent(Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    START = "start"
    GREETING = "greeting"
    PERSON = "person"
    MENU = "menu"
    HELP = "help"
    ORDER = "order"
    MY_ORDERS = "my_orders"
    UPDATE = "update"
    CANCEL = "cancel"
    LANG_ID = "lang_id"
    LANG_EN = "lang_en"
    DATA_ACCESS = "data_access"
    DATA_ERASURE = "data_erasure"


# Opt-out only when the whole message is the word ("stop, ukurannya salah" is a complaint).
# Twilio's standard words are here too; CANCEL, END and QUIT are read as "cancel this
# order" while an order is in progress, and as an opt-out otherwise.
OPT_OUT_WORDS = {"stop", "berhenti", "stopall", "unsubscribe", "revoke", "optout", "opt out"}
OPT_OUT_WHEN_IDLE = {"cancel", "end", "quit"}
OPT_IN_WORDS = {"mulai", "start", "unstop", "langganan lagi"}

WORDS: dict[Intent, set[str]] = {
    # A person's rights over their data (UU PDP, GDPR): asked for in their own words.
    Intent.DATA_ACCESS: {
        "data saya",
        "my data",
        "minta data saya",
        "lihat data saya",
        "salinan data saya",
        "/datasaya",
        "/mydata",
    },
    Intent.DATA_ERASURE: {
        "hapus data saya",
        "delete my data",
        "hapus akun saya",
        "erase my data",
        "/hapusdata",
        "/deletemydata",
    },
    Intent.START: {"/start"},
    Intent.GREETING: {
        "halo",
        "hai",
        "hi",
        "hello",
        "hallo",
        "helo",
        "pagi",
        "siang",
        "sore",
        "malam",
        "permisi",
        "assalamualaikum",
    },
    Intent.MENU: {"menu", "/menu", "menu utama", "main menu"},
    Intent.PERSON: {
        "admin",
        "cs",
        "customer service",
        "minta admin",
        "hubungi admin",
        "mau admin",
        "panggil admin",
        "bicara dengan admin",
        "orang",
        "manusia",
        "human",
        "agent",
        "talk to a person",
        "talk to someone",
        "operator",
        "/admin",
    },
    Intent.HELP: {"bantuan", "help", "/help", "/bantuan", "?", "tolong"},
    Intent.ORDER: {
        "pesan",
        "order",
        "/pesan",
        "/order",
        "beli",
        "buy",
        "mau pesan",
        "katalog",
        "catalog",
        "produk",
        "products",
    },
    Intent.MY_ORDERS: {
        "pesanan saya",
        "my orders",
        "/pesanan",
        "/orders",
        "status pesanan",
        "cek pesanan",
        "riwayat",
    },
    Intent.UPDATE: {
        "ubah data",
        "update profile",
        "/ubah",
        "/profile",
        "ubah profil",
        "update data",
        "edit profile",
        "profil",
        "profile",
    },
    Intent.CANCEL: {"batal", "/batal", "/cancel", "batalkan", "cancel order"},
    Intent.LANG_ID: {
        "bahasa indonesia",
        "indonesia",
        "indonesian",
        "/indonesia",
        "language indonesian",
        "language indonesia",
        "bahasa id",
    },
    Intent.LANG_EN: {
        "bahasa english",
        "bahasa inggris",
        "english",
        "/english",
        "inggris",
        "language english",
        "bahasa en",
    },
}

# Words that make a message a complaint, wherever they stand in it.
COMPLAINT = re.compile(
    r"\b(komplain|keluhan|kecewa|rusak|cacat|robek|refund|retur|salah kirim|belum sampai|"
    r"tidak sampai|nggak sampai|gak sampai|penipu|complaint|complain|broken|damaged|"
    r"never arrived|wrong item)\b",
    re.IGNORECASE,
)

_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = ".!,;:~*_-"


def normalize(text: str) -> str:
    """Lower-case, single-spaced, without surrounding punctuation, for matching words."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", folded).strip().strip(_EDGE_PUNCTUATION).strip()


def is_complaint(text: str) -> bool:
    return COMPLAINT.search(text) is not None


def recognise(text: str, *, in_flow: bool) -> Intent | None:
    word = normalize(text)
    if not word:
        return None
    if word in OPT_OUT_WORDS:
        return Intent.OPT_OUT
    if word in OPT_OUT_WHEN_IDLE:
        return Intent.CANCEL if in_flow else Intent.OPT_OUT
    if word in OPT_IN_WORDS:
        return Intent.OPT_IN
    for intent, words in WORDS.items():
        if word in words:
            return intent
    return None


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
