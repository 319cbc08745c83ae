"""Links to a report's charts that Twilio can fetch for WhatsApp, which takes pictures only
by URL. A link is signed and short-lived, and names a period and a chart rather than a
stored file: whichever instance Twilio's request reaches draws the chart from the store,
and nobody can ask for a period an agent did not, or for long after."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

CHART_NAMES = ("revenue.png", "products.png", "cities.png", "segments.png")
LIFETIME = timedelta(hours=1)  # Twilio fetches media within seconds of the send
PATH = "/reports/charts/"


@dataclass(frozen=True)
class ChartLink:
    name: str
    first: date
    last: date
    language: str


def chart_url(base_url: str, key: bytes, link: ChartLink, now: datetime) -> str:
    expires = int((now + LIFETIME).timestamp())
    query = {"from": link.first.isoformat(), "to": link.last.isoformat(),
             "lang": link.language, "exp": str(expires)}  # fmt: skip
    query["sig"] = _signature(key, link.name, query)
    return f"{base_url.rstrip('/')}{PATH}{link.name}?{urlencode(query)}"


def read_link(key: bytes, name: str, query: dict[str, str], now: datetime) -> ChartLink | None:
    """The chart a link asks for, when its signature is right and it has not expired."""
    if name not in CHART_NAMES:
        return None
    given = query.get("sig", "")
    fields = {k: query.get(k, "") for k in ("from", "to", "lang", "exp")}
    if not hmac.compare_digest(given, _signature(key, name, fields)):
        return None
    try:
        if int(fields["exp"]) < now.timestamp():
            return None
        return ChartLink(name, date.fromisoformat(fields["from"]),
                         date.fromisoformat(fields["to"]), fields["lang"])  # fmt: skip
    except ValueError:
        return None


def link_key(secret: str) -> bytes:
    """A key of its own for chart links, derived from a secret the shop already keeps
    (Twilio's auth token), so every instance signs and checks alike."""
    return hmac.new(secret.encode(), b"langgan report chart links", hashlib.sha256).digest()


def _signature(key: bytes, name: str, fields: dict[str, str]) -> str:
    message = "|".join([name, fields["from"], fields["to"], fields["lang"], fields["exp"]])
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
