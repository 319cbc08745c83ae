"""Encryption at rest: the personal fields are sealed with the shop's data key before they
reach the store, and found again through keyed hashes (blind indexes).

A sealed value is ``KID:TOKEN`` behind the id of the key that made it. The key id lets a
rotation find, in SQL, the rows still under an older key, and lets a store opened with
the wrong key say so before it changes anything. The token is ``gcm.`` and, in URL-safe
base64, a random 96-bit nonce and the text sealed with AES-256-GCM (from the
``cryptography`` package) under a key derived from the data key with HKDF-SHA256.
Values sealed by older Langgan are Fernet tokens (AES-128-CBC and HMAC-SHA256, ``gA...``)
and still open; each is sealed anew when its row is next written, or by a rotation to a
new key.

Why GCM: a message seals about five values (its words, its replies', the chat's state).
Sealing was 6.8% of the live service's event loop (py-spy, ``bench/webhook.py
--profile``), and a Fernet sealing took 22 µs among the engine's other work against 9
for GCM (``bench/inbound.py``'s conversation, timed around ``Keyring.seal``): Fernet
builds a cipher, a padder and an HMAC in Python for each value, GCM is one call. Random
nonces are safe for 2^32 sealings under one key: a shop with 10,000 messages a day seals
about 50,000 values a day, and would reach it in 235 years (a rotation starts again).

``LANGGAN_DATA_KEY`` holds one key, or several separated by commas while a rotation runs:
the first seals, every one of them opens.

A blind index is HMAC-SHA256 of the value under the store's index key: equal values give
equal hashes, so ``phone_index = ?`` finds a customer without the phone being readable.
The index key is random, made once per store and kept in the store sealed with the data
key. It does not change when the data key does, so look-ups keep working through a
rotation that is cut off halfway, and nothing has to be hashed again.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import functools
import hashlib
import hmac
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crm_core.errors import SettingsError, StoreError

SETTING = "LANGGAN_DATA_KEY"
REMEMBERED = 4096  # sealed values whose text is kept at hand (see Keyring._known)
GCM = "gcm."  # what starts a token sealed with AES-GCM (a Fernet token starts "gA")
_SEALED = re.compile(r"^[0-9a-f]{8}:(?:gA|gcm\.)")


def new_key() -> str:
    """A fresh data key, as ``langgan keygen`` prints it."""
    return Fernet.generate_key().decode()


def key_id(key: str) -> str:
    """Eight hex digits naming a key without revealing it."""
    return hmac.new(key.encode(), b"langgan key id", hashlib.sha256).hexdigest()[:8]


def _gcm_key(key: str) -> AESGCM:
    """The AES-256-GCM key of a data key: derived, so the one key (in the format
    ``langgan keygen`` has always printed) is never used by two ciphers as it is."""
    material = base64.urlsafe_b64decode(key.encode())
    derived = HKDF(hashes.SHA256(), 32, salt=None, info=b"langgan sealing gcm").derive(material)
    return AESGCM(derived)


class KeyMissing(SettingsError):
    pass


class WrongKey(StoreError):
    pass


@dataclass(frozen=True)
class Keyring:
    """The data keys this process holds: ``keys[0]`` seals, all of them open."""

    keys: tuple[str, ...] = field(repr=False)  # never in a log or a traceback
    _fernets: dict[str, Fernet] = field(default_factory=dict, repr=False, compare=False)
    _gcms: dict[str, AESGCM] = field(default_factory=dict, repr=False, compare=False)
    # The text of values sealed or opened lately, by their sealed form. A chat's state
    # and its customer's record are read back on every message, and opening them again
    # (base64, HMAC and AES each time) was a tenth of the engine's work. Bounded, and only
    # in this process's memory, which holds the same text while it works on it anyway.
    _known: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_setting(cls, text: str | None) -> Keyring:
        if not text or not text.strip():
            raise KeyMissing("data_key_missing")
        keys = tuple(k.strip() for k in text.split(",") if k.strip())
        ring = cls(keys)
        for position, key in enumerate(keys, start=1):
            try:
                ring._fernets[key_id(key)] = Fernet(key.encode())
                ring._gcms[key_id(key)] = _gcm_key(key)
            except (ValueError, TypeError):
                raise SettingsError(
                    "data_key_malformed", position=position, count=len(keys)
                ) from None
        return ring

    @functools.cached_property
    def primary(self) -> str:  # read for every value sealed: worked out once
        return key_id(self.keys[0])

    @functools.cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(key_id(k) for k in self.keys)

    def seal(self, text: str) -> str:
        kid = self.primary
        nonce = os.urandom(12)
        # The key id is bound in too: a token moved behind another id does not open.
        body = self._gcms[kid].encrypt(nonce, text.encode(), kid.encode())
        sealed = f"{kid}:{GCM}{base64.urlsafe_b64encode(nonce + body).decode()}"
        self._remember(sealed, text)
        return sealed

    def open(self, value: str) -> str:
        """The text behind a sealed value; a value that was never sealed (a row written
        before encryption, not yet sealed by `langgan migrate`) is returned as it is."""
        known = self._known.get(value)
        if known is not None:
            return known
        if not is_sealed(value):
            return value
        kid, token = value.split(":", 1)
        fernet = self._fernets.get(kid)
        if fernet is None:
            raise WrongKey("data_key_absent", needed=kid, held=", ".join(self.ids))
        try:
            if token.startswith(GCM):
                raw = base64.urlsafe_b64decode(token[len(GCM) :].encode())
                text = self._gcms[kid].decrypt(raw[:12], raw[12:], kid.encode()).decode()
            else:
                text = fernet.decrypt(token.encode()).decode()
        except (InvalidToken, InvalidTag, ValueError):  # ValueError: not base64, too short
            raise WrongKey("sealed_value_changed", key=kid) from None
        self._remember(value, text)
        return text

    def _remember(self, sealed: str, text: str) -> None:
        known = self._known
        if len(known) >= REMEMBERED:
            # The oldest first; a value read on every message comes straight back.
            with contextlib.suppress(StopIteration, RuntimeError, KeyError):
                del known[next(iter(known))]
        known[sealed] = text


def is_sealed(value: str) -> bool:
    return bool(_SEALED.match(value))


@dataclass(frozen=True)
class StoreKeys:
    """What one open store needs to seal, open and look up: the keyring and the store's
    own index key."""

    keyring: Keyring
    index_key: bytes = field(repr=False)

    def blind(self, kind: str, value: str) -> str:
        return hmac.new(self.index_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


# Set by ``open_store`` for the tasks it runs, like Tortoise's own current context: two
# stores open in one process (tests, a restore check) each see their own index key.
_current: contextvars.ContextVar[StoreKeys | None] = contextvars.ContextVar(
    "langgan_store_keys", default=None
)
_keyring: contextvars.ContextVar[Keyring | None] = contextvars.ContextVar(
    "langgan_keyring", default=None
)


def use_keyring(keyring: Keyring) -> contextvars.Token[Keyring | None]:
    return _keyring.set(keyring)


def use_store_keys(keys: StoreKeys) -> None:
    _current.set(keys)


@contextlib.contextmanager
def keys_in_use() -> Iterator[None]:
    """Whatever keys are set inside are unset on the way out: a store opened inside
    another (a test, a restore check) leaves the outer one's keys as they were."""
    ring, keys = _keyring.set(_keyring.get()), _current.set(_current.get())
    try:
        yield
    finally:
        _current.reset(keys)
        _keyring.reset(ring)


def keyring() -> Keyring:
    ring = _keyring.get()
    if ring is None:
        raise StoreError("store_not_open")
    return ring


def store_keys() -> StoreKeys:
    keys = _current.get()
    if keys is None:
        raise StoreError("store_not_open")
    return keys


def blind(kind: str, value: str) -> str:
    """The blind index of ``value``: ``phone`` (E.164), ``email`` (lower case), ``chat``
    (``channel:address``)."""
    return store_keys().blind(kind, value)


def phone_index(phone: str | None) -> str | None:
    return blind("phone", phone) if phone else None


# How many of a phone's last digits its tail index hashes: enough to narrow a search by
# "the number ending 7890" to a few rows, whose phones are then opened and compared.
TAIL = 4


def tail_index(digits: str) -> str:
    return blind("phone_tail", digits[-TAIL:])


def phone_tail_index(phone: str | None) -> str | None:
    return tail_index(phone) if phone else None


def email_index(email: str | None) -> str | None:
    return blind("email", email.lower()) if email else None


def chat_index(channel: str, address: str) -> str:
    return blind("chat", f"{channel}:{address}")
