"""Phone numbers, always stored as E.164 (``+6281234567890``)."""

from __future__ import annotations

import phonenumbers

from crm_core.errors import InputError

DEFAULT_REGION = "ID"


def normalize_phone(text: str, region: str = DEFAULT_REGION) -> str:
    """Parse what a person typed (``0812-3456-7890``, ``+62 812 3456 7890``,
    ``whatsapp:+62...``) into E.164, or raise InputError saying why not."""
    raw = text.strip().removeprefix("whatsapp:").strip()
    if not raw or len(raw) > 32:
        raise InputError("phone_unreadable", text=text.strip()[:40])
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InputError("phone_unreadable", text=raw) from None
    if not phonenumbers.is_valid_number(number):
        raise InputError("phone_invalid", text=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(text: str, region: str = DEFAULT_REGION) -> str | None:
    try:
        return normalize_phone(text, region)
    except InputError:
        return None
