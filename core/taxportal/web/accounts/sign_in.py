"""Taxpayer sign-in and sign-out."""

from __future__ import annotations

from aiohttp import web

from taxportal.i18n import N_
from taxportal.services.accounts import sessions, throttle
from taxportal.services.accounts import taxpayers as accounts
from taxportal.services.accounts.taxpayers import AccountError
from taxportal.web.accounts.verify import is_trusted_device
from taxportal.web.auth import TAXPAYER_COOKIE, client_address, set_session_cookie
from taxportal.web.keys import CORE
from taxportal.web.request_text import read_form
from taxportal.web.taxpayer import leave_portal, render

# One answer for an unknown name, a wrong password and a locked account (the taxpayer
# hears of a lock by email or text message): the page tells nobody that an account exists.
SIGN_IN_ERRORS = {
    "credentials": N_("The user name or password is not right."),
    "throttled": N_(
        "Too many attempts from this connection. Please wait a few minutes and try again."
    ),
}
NOTICES = {
    "signed_out": N_("You have signed out."),
    "cancelled": N_("Verification cancelled. Sign in again when you are ready."),
    "password_changed": N_("Your password was changed. Sign in with your new password."),
}


async def sign_in_page(request: web.Request) -> web.Response:
    notice = next((NOTICES[key] for key in NOTICES if request.query.get(key)), "")
    return render(request, "sign_in.html", {"error": "", "username": "", "notice": notice})


async def sign_in(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    form = await read_form(request)
    username = str(form.get("username", ""))[:64]
    address = client_address(request)
    try:
        await throttle.hit(core, "taxpayer_sign_in", address)
        account = await accounts.authenticate(
            core, username, str(form.get("password", "")), address
        )
    except throttle.Throttled:
        return _refused(request, username, "throttled", 429)
    except AccountError:
        return _refused(request, username, "credentials", 401)
    trusted = account.verified_at is not None and await is_trusted_device(request, account)
    token, _ = await sessions.start(core, account=account, address=address, second_factor=trusted)
    response = web.HTTPSeeOther("/portal/" if trusted else "/portal/verify")
    set_session_cookie(request, response, TAXPAYER_COOKIE, token)
    raise response


def _refused(request: web.Request, username: str, kind: str, status: int) -> web.Response:
    return render(
        request,
        "sign_in.html",
        {
            "error": SIGN_IN_ERRORS.get(kind, SIGN_IN_ERRORS["credentials"]),
            "username": username,
            "notice": "",
        },
        status=status,
    )


async def sign_out(request: web.Request) -> web.StreamResponse:
    raise await leave_portal(request, "/portal/login?signed_out=1")
