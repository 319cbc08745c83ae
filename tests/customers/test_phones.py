"""Phones as people type them, stored in E.164; what is not a phone is refused."""

from __future__ import annotations

import pytest

from crm_core.customers.phones import normalize_phone
from crm_core.errors import InputError


@pytest.mark.parametrize(
    "typed",
    [
        "0812-3456-7890",
        "+62 812 3456 7890",
        "62812-3456-7890",
        "whatsapp:+6281234567890",
        "(0812) 3456 7890",
    ],
)
def test_phones_are_stored_e164(typed: str):
    assert normalize_phone(typed) == "+6281234567890"


@pytest.mark.parametrize("typed", ["", "halo", "12", "0812", "+1 555", "9" * 40])
def test_what_is_not_a_phone_is_refused(typed: str):
    with pytest.raises(InputError):
        normalize_phone(typed)
