"""Admins add preparers (and other admins), unlock accounts and reset second factors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp_jinja2
from aiohttp import web

from taxportal.services.accounts import second_factor
from taxportal.services.accounts import staff as staff_service
from taxportal.web.auth import actor, admin_required
from taxportal.web.ids import path_id
from taxportal.web.keys import CORE
from taxportal.web.request_text import read_form

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import StaffUser


def routes() -> list[web.RouteDef]:
    return [
        web.get("/staff/users", users_page),
        web.post("/staff/users", add_user),
        web.post("/staff/users/{user_id:\\d+}/unlock", unlock_user),
        web.post("/staff/users/{user_id:\\d+}/reset-second-factor", reset_second_factor),
    ]


async def _render(
    request: web.Request,
    error: str = "",
    done: str = "",
    status: int = 200,
    values: dict[str, str] | None = None,
) -> web.Response:
    users = await staff_service.list_staff()
    return aiohttp_jinja2.render_template(
        "staff/users.html",
        request,
        {
            "error": error,
            "done": done,
            "values": values or {},
            "users": users,
            "statuses": {u.id: staff_service.status(u) for u in users},
            "locked": {u.id for u in users if staff_service.is_locked(u)},
        },
        status=status,
    )


@admin_required
async def users_page(request: web.Request) -> web.Response:
    return await _render(request, done=request.query.get("done", ""))


@admin_required
async def add_user(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
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


async def _user_of(request: web.Request) -> StaffUser:
    user = await staff_service.get_staff(path_id(request, "user_id"))
    if user is None:
        raise web.HTTPNotFound()
    return user


@admin_required
async def unlock_user(request: web.Request) -> web.StreamResponse:
    await staff_service.unlock(await _user_of(request), actor(request))
    raise web.HTTPSeeOther("/staff/users?done=unlocked")


@admin_required
async def reset_second_factor(request: web.Request) -> web.StreamResponse:
    # The user sets up a new authenticator at their next sign-in; their sessions end now.
    await second_factor.reset(request.app[CORE], await _user_of(request), actor(request))
    raise web.HTTPSeeOther("/staff/users?done=reset")
