"""Twilio's webhooks on Langgan's web server: incoming messages and delivery statuses,
both signed. Nothing is read, let alone written, before the signature checks out."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from aiohttp import web

from bot.report_links import PATH, read_link
from bot.whatsapp.channel import WhatsAppChannel
from crm_core.errors import InputError
from crm_core.insight.analytics import build_report
from crm_core.insight.periods import Period

log = logging.getLogger(__name__)

WHATSAPP = web.AppKey("whatsapp", WhatsAppChannel)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def add_routes(app: web.Application, channel: WhatsAppChannel) -> None:
    app[WHATSAPP] = channel
    app.router.add_post("/webhooks/whatsapp", incoming)
    app.router.add_post("/webhooks/whatsapp/status", status)
    app.router.add_get(PATH + "{name}", chart)


async def chart(request: web.Request) -> web.Response:
    """A report's chart, for Twilio to fetch and pass on to an agent on WhatsApp: only
    with a link the service signed in the last hour."""
    channel = request.app[WHATSAPP]
    now = datetime.now(UTC)
    link = read_link(channel.link_key, request.match_info["name"], dict(request.query), now)
    if link is None:
        raise web.HTTPForbidden(text="this chart link is wrong or has expired")
    from bot.report_charts import charts  # matplotlib loads slowly: only when asked

    texts = channel.engine.texts
    period = Period(link.first, link.last, texts.tz)
    report = await build_report(period, now)
    label = texts.label_for(link.language)
    # Only the chart asked for: Twilio fetches each of the four by its own link.
    drawn = dict(await asyncio.to_thread(charts, report, label, link.language, [link.name]))
    return web.Response(body=drawn[link.name], content_type="image/png",
                        headers={"Cache-Control": "private, max-age=3600"})  # fmt: skip


async def _signed_form(request: web.Request) -> dict[str, str]:
    """The form, once its X-Twilio-Signature is right; else an HTTP error to return."""
    try:
        form = await request.post()
    except (ValueError, LookupError):  # not decodable, or in a charset nobody knows
        raise web.HTTPBadRequest(text=str(InputError("webhook_not_form"))) from None
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    signature = request.headers.get("X-Twilio-Signature", "")
    if not request.app[WHATSAPP].signed(str(request.rel_url), fields, signature):
        raise web.HTTPForbidden(text="missing or wrong X-Twilio-Signature")
    return fields


async def incoming(request: web.Request) -> web.Response:
    form = await _signed_form(request)
    try:
        await request.app[WHATSAPP].receive(form, datetime.now(UTC))
    except InputError as exc:
        return web.Response(status=400, text=str(exc))
    # The replies go out through the REST API; TwiML stays empty.
    return web.Response(text=EMPTY_TWIML, content_type="text/xml")


async def status(request: web.Request) -> web.Response:
    form = await _signed_form(request)
    try:
        known = await request.app[WHATSAPP].status(form)
    except InputError as exc:
        return web.Response(status=400, text=str(exc))
    if not known:
        # Not ours, or not a status: said plainly, and no retry is asked for.
        log.info("status callback for an unknown message")
    return web.Response(status=204)
