"""A staff member's own settings: for now, whether new uploads are emailed to them."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from taxportal.services.accounts import staff as staff_service
from taxportal.web.auth import actor, current_staff, staff_required
from taxportal.web.request_text import read_form


def routes() -> list[web.RouteDef]:
    return [
        web.get("/staff/settings", settings_page),
        web.post("/staff/settings", save_settings),
    ]


@staff_required
async def settings_page(request: web.Request) -> web.Response:
    return aiohttp_jinja2.render_template(
        "staff/settings.html", request, {"saved": request.query.get("saved") == "1"}
    )


@staff_required
async def save_settings(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    user = current_staff(request)
    assert user is not None  # staff_required
    await staff_service.set_upload_digest(user, form.get("notify_uploads") == "on", actor(request))
    raise web.HTTPSeeOther("/staff/settings?saved=1")
