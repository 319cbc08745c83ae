"""A Twilio WhatsApp webhook form as an ``Inbound``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.inbound import Inbound
from crm_core.errors import InputError
from crm_core.phones import try_normalize_phone

CHANNEL = "whatsapp"


def _kind(content_type: str) -> str:
    major = content_type.split("/", 1)[0].lower()
    return {"image": "photo", "video": "video", "audio": "voice"}.get(major, "document")


def inbound_from_form(form: Mapping[str, str], received_at: datetime) -> Inbound:
    """Read ``From``, ``Body``, ``MessageSid``, ``ProfileName``, the first media item and a
    shared location. Raises InputError naming what is missing or wrong."""
    sid = form.get("MessageSid", "").strip()
    if not sid or len(sid) > 64:
        raise InputError("webhook_field_missing", field="MessageSid")
    sender = form.get("From", "").strip()
    if not sender.startswith("whatsapp:"):
        raise InputError("webhook_sender_unusable", field="From")
    phone = try_normalize_phone(sender)
    if phone is None:
        raise InputError("webhook_sender_unusable", field="From")
    text = form.get("Body", "")
    kind, media_url, media_type = "text", None, None
    try:
        media_count = int(form.get("NumMedia") or 0)
    except ValueError:
        media_count = 0
    if media_count > 0:
        media_type = (form.get("MediaContentType0") or "").strip()[:80] or None
        media_url = (form.get("MediaUrl0") or "").strip() or None
        kind = _kind(media_type or "")
    elif form.get("Latitude") and form.get("Longitude"):
        kind = "location"
        place = form.get("Address") or form.get("Label") or ""
        media_url = f"geo:{form['Latitude']},{form['Longitude']}"
        text = text or place
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
        reply_to=(form.get("OriginalRepliedMessageSid") or "").strip()[:64] or None,
    )
