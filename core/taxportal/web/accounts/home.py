"""The taxpayer's portal: Home with its two cards."""

from __future__ import annotations

from aiohttp import web

from taxportal.services.documents import sent as sent_documents
from taxportal.web.access import taxpayer_principal
from taxportal.web.taxpayer import render_signed_in, taxpayer_required
from taxportal.web.uploads import my_files


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
