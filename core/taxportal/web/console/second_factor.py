"""The console's second step at /staff/2fa: set up an authenticator app, or type its code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from taxportal.services import activity
from taxportal.services.accounts import lockout, second_factor, sessions, throttle
from taxportal.services.accounts import staff as staff_service
from taxportal.web.auth import (
    SESSION_COOKIE,
    client_address,
    current_staff,
    pending_staff,
    safe_next,
    set_session_cookie,
)
from taxportal.web.cookies import token_cookie
from taxportal.web.keys import CORE, STAFF_SESSION
from taxportal.web.request_text import read_form

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import StaffUser

WRONG_CODE = (
    "That code is not right, or it was already used. Wait for the next code in your app "
    "and try again."
)
WRONG_RECOVERY_CODE = "That recovery code is not right, or it was already used."


def routes() -> list[web.RouteDef]:
    return [
        web.get("/staff/2fa", second_factor_page),
        web.post("/staff/2fa", check_code),
        web.post("/staff/2fa/setup", start_setup),
    ]


def _with_next(path: str, next_path: str, **extra: str) -> str:
    return f"{path}?{urlencode({**extra, 'next': next_path}, safe='/')}"


def _render(
    request: web.Request,
    user: StaffUser,
    next_path: str,
    *,
    recovery: bool = False,
    error: str = "",
    status: int = 200,
) -> web.Response:
    core = request.app[CORE]
    context: dict[str, Any] = {
        "user_email": user.email,
        "next": next_path,
        "error": error,
        "recovery": recovery,
        "locked": staff_service.is_locked(user),
        "status_text": staff_service.status(user),
        "enrolled": second_factor.is_enrolled(user),
        "enrolment": second_factor.enrolment(core, user),
        "recovery_href": _with_next("/staff/2fa", next_path, recovery="1"),
        "app_href": _with_next("/staff/2fa", next_path),
    }
    return aiohttp_jinja2.render_template(
        "staff/second_factor.html", request, context, status=status
    )


def _pending_or_redirect(request: web.Request, next_path: str) -> StaffUser:
    user = pending_staff(request)
    if user is not None:
        return user
    if current_staff(request) is not None:
        raise web.HTTPSeeOther(next_path)  # already passed
    raise web.HTTPSeeOther(_with_next("/staff/login", next_path))


async def second_factor_page(request: web.Request) -> web.Response:
    next_path = safe_next(request.query.get("next", ""))
    user = _pending_or_redirect(request, next_path)
    return _render(request, user, next_path, recovery=request.query.get("recovery") == "1")


async def start_setup(request: web.Request) -> web.StreamResponse:
    """Make a secret to scan when the session has none (normally made at the password step)."""
    next_path = safe_next(str((await read_form(request)).get("next", "")))
    user = _pending_or_redirect(request, next_path)
    await second_factor.ensure_pending_secret(request.app[CORE], user)
    raise web.HTTPSeeOther(_with_next("/staff/2fa", next_path))


async def check_code(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    form = await read_form(request)
    next_path = safe_next(str(form.get("next", "")))
    user = _pending_or_redirect(request, next_path)
    address = client_address(request)
    recovery_code = str(form.get("recovery_code", ""))
    recovery = "recovery_code" in form
    try:
        await throttle.hit(core, "staff_second_factor", address)
    except throttle.Throttled:
        await activity.record("staff_second_factor_throttled", address=address)
        minutes = round(core.config.core.throttle.window_minutes)
        message = f"Too many attempts from this connection. Wait {minutes} minutes, then try again."
        return _render(request, user, next_path, recovery=recovery, error=message, status=429)
    if staff_service.is_locked(user):
        return await _locked(request, user, next_path)
    try:
        if not second_factor.is_enrolled(user):
            codes = await second_factor.confirm_enrolment(
                core, user, str(form.get("code", "")), address
            )
            if codes is not None:
                # The recovery codes are shown in this response only (no-store), never again.
                context = {"codes": codes, "next": next_path}
                page = aiohttp_jinja2.render_template("staff/recovery_codes.html", request, context)
                token = await _passed(request, user, "totp")
                set_session_cookie(request, page, SESSION_COOKIE, token)
                return page
        elif recovery:
            if await second_factor.use_recovery_code(core, user, recovery_code, address):
                await _redirect_signed_in(request, user, "recovery code", next_path)
        elif await second_factor.verify(core, user, str(form.get("code", "")), address):
            await _redirect_signed_in(request, user, "totp", next_path)
    except lockout.Locked:  # locked by another request since this one began: nothing checked
        await user.refresh_from_db(fields=["locked_until"])
        return await _locked(request, user, next_path)

    if staff_service.is_locked(user):  # this failure was the last one allowed
        return await _locked(request, user, next_path)
    error = WRONG_RECOVERY_CODE if recovery else WRONG_CODE
    return _render(request, user, next_path, recovery=recovery, error=error, status=401)


async def _passed(request: web.Request, user: StaffUser, method: str) -> str:
    """Both factors passed: a new session id that carries the second factor; its token."""
    await second_factor.passed(user, client_address(request), method)
    return await sessions.rotate(request.app[CORE], request[STAFF_SESSION], second_factor=True)


async def _redirect_signed_in(
    request: web.Request, user: StaffUser, method: str, next_path: str
) -> NoReturn:
    response = web.HTTPSeeOther(next_path)
    set_session_cookie(request, response, SESSION_COOKIE, await _passed(request, user, method))
    raise response


async def _locked(request: web.Request, user: StaffUser, next_path: str) -> web.Response:
    # The password was right, so saying "locked" tells nothing new; the session ends here.
    token = token_cookie(request, SESSION_COOKIE)
    if token:
        await sessions.end(token)
    response = _render(request, user, next_path, status=403)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
