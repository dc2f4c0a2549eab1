"""The taxpayer's portal: Home with its two cards."""

from __future__ import annotations

from aiohttp import web

from taxportal.services.accounts import home as home_cards
from taxportal.web.access import taxpayer_principal
from taxportal.web.taxpayer import render_signed_in, taxpayer_required


@taxpayer_required
async def home(request: web.Request) -> web.Response:
    cards = await home_cards.cards(taxpayer_principal(request))
    return await render_signed_in(
        request,
        "home.html",
        {
            "uploaded": cards.uploaded,
            "sent": cards.sent,
            "password_changed": request.query.get("password_changed") == "1",
        },
    )
