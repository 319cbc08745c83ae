"""The body of a Telegram webhook request, read within limits no real update comes near."""

from __future__ import annotations

import json
import re
from typing import Any

from crm_core.errors import InputError

# Telegram's deepest update (a message quoting another, with an inline keyboard of
# buttons) nests about ten levels. Python's json, pydantic (aiogram) and
# python-telegram-bot's de_json each recurse at least once a level, so a body nested
# thousands deep ends in a RecursionError somewhere inside them: it is refused here,
# before any of them reads it, with room to spare for fields Telegram adds.
MAX_DEPTH = 32

# What matters to nesting: quotes (a bracket inside a string does not count), escapes
# (``\"`` does not end a string) and brackets. One pass, no backtracking.
_TOKENS = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)


def nests_deeper_than(body: bytes, most: int) -> bool:
    """Whether the JSON text's arrays and objects nest deeper than ``most``, found
    without parsing it."""
    depth, in_string = 0, False
    for token in _TOKENS.findall(body):
        if token == b'"':
            in_string = not in_string
        elif in_string or token.startswith(b"\\"):
            continue
        elif token in (b"[", b"{"):
            depth += 1
            if depth > most:
                return True
        else:
            depth -= 1
    return False


def read_update(body: bytes) -> dict[str, Any]:
    """The update in a webhook request's body; InputError when it is not one."""
    if nests_deeper_than(body, MAX_DEPTH):
        raise InputError("webhook_too_deep", most=MAX_DEPTH)
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise InputError("webhook_not_json") from None
    # Telegram numbers every update; without a whole-number update_id it is not one.
    if not isinstance(update, dict) or type(update.get("update_id")) is not int:
        raise InputError("webhook_not_update")
    return update
