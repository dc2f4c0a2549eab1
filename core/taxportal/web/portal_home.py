"""The taxpayer's portal: Home with its two cards, and the pages still to come."""

from __future__ import annotations

from aiohttp import web

from taxportal.i18n import N_
from taxportal.services import sent_documents
from taxportal.web import my_files
from taxportal.web.access import taxpayer_principal
from taxportal.web.taxpayer import render_signed_in, taxpayer_required

COMING = {
    "messages": (N_("Messages"), N_("Messages with your preparer are coming soon.")),
}


@taxpayer_required
async def home(request: web.Request) -> web.Response:
    return await render_signed_in(
        request,
        "home.html",
        {
            "uploaded": await my_files.uploaded_count(request),
            "sent": await sent_documents.sent_count(taxpayer_principal(request)),
            "password_changed": request.query.get("password_changed") == "1",
        },
    )


@taxpayer_required
async def coming_soon(request: web.Request) -> web.Response:
    section = request.match_info["section"]
    if section not in COMING:
        raise web.HTTPNotFound()
    title, text = COMING[section]
    return await render_signed_in(
        request, "coming_soon.html", {"title": title, "text": text, "section": section}
    )
