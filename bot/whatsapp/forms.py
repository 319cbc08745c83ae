"""A Twilio WhatsApp webhook form as an ``Inbound``."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime

from bot.inbound import Inbound
from crm_core.customers.phones import try_normalize_phone
from crm_core.errors import InputError

CHANNEL = "whatsapp"
# Twilio's ids are two letters and 32 hex digits (SM..., MM...); letters and digits up
# to the message log's 64 are taken, anything else is not Twilio's.
_SID = re.compile(r"[A-Za-z0-9]{2,64}")
_COUNT = re.compile(r"[0-9]{1,2}")  # NumMedia: Twilio passes on at most 10 media
_ERROR_CODE = re.compile(r"[0-9]{1,16}")  # Twilio's error codes: five digits


def twilio_sid(form: Mapping[str, str], field: str) -> str | None:
    """A Twilio id from the form, None when it is absent; InputError when it is not one."""
    sid = form.get(field, "").strip()
    if sid and not _SID.fullmatch(sid):
        raise InputError("webhook_field_wrong", field=field)
    return sid or None


def error_code(form: Mapping[str, str]) -> str | None:
    code = form.get("ErrorCode", "").strip()
    if code and not _ERROR_CODE.fullmatch(code):
        raise InputError("webhook_field_wrong", field="ErrorCode")
    return code or None


def _media_count(form: Mapping[str, str]) -> int:
    count = form.get("NumMedia", "").strip() or "0"
    if not _COUNT.fullmatch(count):
        raise InputError("webhook_field_wrong", field="NumMedia")
    return int(count)


def _place(form: Mapping[str, str]) -> str | None:
    """A shared location as a ``geo:`` link, None when none was shared; InputError for
    a coordinate that is not one."""
    if not (form.get("Latitude") and form.get("Longitude")):
        return None
    try:
        latitude, longitude = float(form["Latitude"]), float(form["Longitude"])
    except ValueError:
        latitude = longitude = math.nan
    for field, value, most in (("Latitude", latitude, 90), ("Longitude", longitude, 180)):
        if not -most <= value <= most:  # also false for nan
            raise InputError("webhook_field_wrong", field=field)
    return f"geo:{latitude},{longitude}"


def _kind(content_type: str) -> str:
    major = content_type.split("/", 1)[0].lower()
    return {"image": "photo", "video": "video", "audio": "voice"}.get(major, "document")


def inbound_from_form(form: Mapping[str, str], received_at: datetime) -> Inbound:
    """Read ``From``, ``Body``, ``MessageSid``, ``ProfileName``, the first media item and a
    shared location. Raises InputError naming what is missing or wrong."""
    sid = twilio_sid(form, "MessageSid")
    if sid is None:
        raise InputError("webhook_field_missing", field="MessageSid")
    sender = form.get("From", "").strip()
    if not sender.startswith("whatsapp:"):
        raise InputError("webhook_sender_unusable", field="From")
    phone = try_normalize_phone(sender)
    if phone is None:
        raise InputError("webhook_sender_unusable", field="From")
    text = form.get("Body", "")
    kind, media_url, media_type = "text", None, None
    place = _place(form)
    if _media_count(form) > 0:
        media_type = (form.get("MediaContentType0") or "").strip()[:80] or None
        media_url = (form.get("MediaUrl0") or "").strip() or None
        kind = _kind(media_type or "")
    elif place is not None:
        kind, media_url = "location", place
        text = text or form.get("Address") or form.get("Label") or ""
    return Inbound(
        channel=CHANNEL,
        sender=phone,
        text=text,
        external_id=sid,
        received_at=received_at,
        kind=kind,
        display_name=(form.get("ProfileName") or "").strip()[:120] or None,
        # WhatsApp delivers only from the number itself: the sender vouches for it.
        verified_phone=phone,
        media_url=media_url,
        media_type=media_type,
        # Twilio names the message a WhatsApp reply quotes.
        reply_to=twilio_sid(form, "OriginalRepliedMessageSid"),
    )
