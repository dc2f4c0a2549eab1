"""Admins add preparers (and other admins) in the console."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from taxportal.services import staff as staff_service
from taxportal.web.auth import actor, admin_required
from taxportal.web.keys import CORE


async def _render(
    request: web.Request,
    error: str = "",
    done: str = "",
    status: int = 200,
    values: dict[str, str] | None = None,
) -> web.Response:
    return aiohttp_jinja2.render_template(
        "staff/users.html",
        request,
        {
            "error": error,
            "done": done,
            "values": values or {},
            "users": await staff_service.list_staff(),
        },
        status=status,
    )


@admin_required
async def users_page(request: web.Request) -> web.Response:
    return await _render(request, done=request.query.get("done", ""))


@admin_required
async def add_user(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {k: str(form.get(k, "")) for k in ("email", "name", "role")}
    try:
        await staff_service.add_staff(
            request.app[CORE],
            values["email"],
            str(form.get("password", "")),
            values["role"] or "preparer",
            values["name"],
            actor=actor(request),
        )
    except staff_service.StaffError as exc:
        return await _render(request, error=str(exc), status=400, values=values)
    raise web.HTTPSeeOther("/staff/users?done=added")
