"""Console sign-in and sign-out."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from taxportal.services import sessions
from taxportal.services import staff as staff_service
from taxportal.web.auth import SESSION_COOKIE, client_address, set_session_cookie
from taxportal.web.keys import CORE


def _safe_next(value: str) -> str:
    # Only same-site paths: never an open redirect to another host.
    return value if value.startswith("/") and not value.startswith("//") else "/staff/"


async def sign_in_page(request: web.Request) -> web.Response:
    return aiohttp_jinja2.render_template(
        "staff/sign_in.html",
        request,
        {"error": "", "email": "", "next": request.query.get("next", "")},
    )


async def sign_in(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    next_path = _safe_next(str(form.get("next", "")))
    user = await staff_service.authenticate(
        request.app[CORE], email, password, client_address(request)
    )
    if user is None:
        return aiohttp_jinja2.render_template(
            "staff/sign_in.html",
            request,
            {"error": "The email or password is not right.", "email": email, "next": next_path},
            status=401,
        )
    token, _session = await sessions.start(
        request.app[CORE], staff=user, address=client_address(request)
    )
    response = web.HTTPSeeOther(next_path)
    set_session_cookie(request, response, SESSION_COOKIE, token)
    raise response


async def sign_out(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await sessions.end(token)
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
