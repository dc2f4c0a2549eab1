"""Console sign-in (the password step; the second factor follows at /staff/2fa) and sign-out."""

from __future__ import annotations

from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from taxportal.services import activity
from taxportal.services.accounts import second_factor, sessions, throttle
from taxportal.services.accounts import staff as staff_service
from taxportal.web.auth import SESSION_COOKIE, client_address, safe_next, set_session_cookie
from taxportal.web.cookies import token_cookie
from taxportal.web.keys import CORE
from taxportal.web.request_text import read_form

# One answer for an unknown email, a wrong password and a locked account: no enumeration.
NOT_RIGHT = "The email or password is not right."


def _render(
    request: web.Request, error: str = "", email: str = "", next_path: str = "", status: int = 200
) -> web.Response:
    return aiohttp_jinja2.render_template(
        "staff/sign_in.html",
        request,
        {
            "error": error,
            "email": email,
            "next": next_path,
            "attempts": staff_service.SIGN_IN_ATTEMPTS,
            "lock_minutes": int(staff_service.LOCK_TIME.total_seconds() // 60),
            "throttled": status == 429,
        },
        status=status,
    )


async def sign_in_page(request: web.Request) -> web.Response:
    return _render(request, next_path=request.query.get("next", ""))


async def sign_in(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    form = await read_form(request)
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    address = client_address(request)
    try:
        await throttle.hit(core, "staff_sign_in", address)
    except throttle.Throttled:
        await activity.record("staff_sign_in_throttled", address=address)
        minutes = round(core.config.core.throttle.window_minutes)
        message = (
            f"Too many sign-in attempts from this connection. Wait {minutes} minutes, "
            "then try again."
        )
        return _render(request, message, email, next_path, status=429)
    user = await staff_service.authenticate(core, email, password, address)
    if user is None:
        return _render(request, NOT_RIGHT, email, next_path, status=401)
    await second_factor.ensure_pending_secret(core, user)
    old = token_cookie(request, SESSION_COOKIE)
    if old:
        await sessions.end(old)
    token, _session = await sessions.start(core, staff=user, address=address, second_factor=False)
    response = web.HTTPSeeOther(f"/staff/2fa?{urlencode({'next': next_path}, safe='/')}")
    set_session_cookie(request, response, SESSION_COOKIE, token)
    raise response


async def sign_out(request: web.Request) -> web.StreamResponse:
    token = token_cookie(request, SESSION_COOKIE)
    if token:
        await sessions.end(token)
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
