"""Verify Account: a security code by email or text, then the portal and a remembered device."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from taxportal.i18n import N_
from taxportal.services.accounts import codes, sessions, throttle, trusted_devices
from taxportal.services.accounts import taxpayers as accounts
from taxportal.services.accounts.codes import CodeError
from taxportal.text import mask_email, mask_phone
from taxportal.web.auth import TAXPAYER_COOKIE, client_address, set_session_cookie
from taxportal.web.cookies import token_cookie
from taxportal.web.keys import CORE, LANG, TAXPAYER_SESSION
from taxportal.web.request_text import read_form
from taxportal.web.security import is_tls
from taxportal.web.taxpayer import leave_portal, pending_taxpayer_required, render

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import TaxpayerAccount

DEVICE_COOKIE = "tp_device"
CODE_ERRORS = {
    "wrong": N_("That code is not right. Check the latest message we sent and try again."),
    "expired": N_("That code has expired or was replaced. Send a new code."),
    "locked": N_(
        "Too many wrong codes. For your security the account is locked for a while; "
        "your preparer can unlock it."
    ),
    "delivery": N_("We could not send the code. Try the other option, or contact your preparer."),
    "cooldown": N_("A code was just sent. You can ask for another one in %(seconds)s seconds."),
    "throttled": N_("Too many attempts from this connection. Please wait a few minutes."),
}


def purpose_for(account: TaxpayerAccount) -> str:
    return "verify" if account.verified_at is None else "sign_in"


async def _page(
    request: web.Request,
    *,
    sent: bool = False,
    error: str = "",
    seconds: int = 0,
    status: int = 200,
) -> web.Response:
    account: TaxpayerAccount = request[TAXPAYER_SESSION].account
    options = [
        {
            "channel": c.channel,
            "masked": mask_email(c.address) if c.channel == "email" else mask_phone(c.address),
        }
        for c in await accounts.contacts(account)
    ]
    return render(
        request,
        "verify.html",
        {
            "options": options,
            "sent": sent,
            "error": error,
            "seconds": seconds,
            "first_time": account.verified_at is None,
        },
        status=status,
    )


@pending_taxpayer_required
async def verify_page(request: web.Request) -> web.Response:
    return await _page(request, sent=request.query.get("sent") == "1")


@pending_taxpayer_required
async def send_code(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    account = request[TAXPAYER_SESSION].account
    form = await read_form(request)
    channel = str(form.get("channel", ""))
    contact = next((c for c in await accounts.contacts(account) if c.channel == channel), None)
    if contact is None:
        raise web.HTTPBadRequest(text=N_("Choose one of the options."))
    try:
        await throttle.hit(core, "send_code", client_address(request))
        await codes.send(
            core, account, purpose_for(account), contact, request[LANG], client_address(request)
        )
    except throttle.Throttled:
        return await _page(request, error=CODE_ERRORS["throttled"], status=429)
    except CodeError as exc:
        status = 429 if exc.kind == "cooldown" else 423 if exc.kind == "locked" else 502
        return await _page(request, error=CODE_ERRORS[exc.kind], seconds=exc.seconds, status=status)
    raise web.HTTPSeeOther("/portal/verify?sent=1")


@pending_taxpayer_required
async def check_code(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    session = request[TAXPAYER_SESSION]
    account = session.account
    form = await read_form(request)
    address = client_address(request)
    try:
        await throttle.hit(core, "check_code", address)
        await codes.check(
            core, account, purpose_for(account), str(form.get("code", ""))[:20], address
        )
    except throttle.Throttled:
        return await _page(request, sent=True, error=CODE_ERRORS["throttled"], status=429)
    except CodeError as exc:
        status = 423 if exc.kind == "locked" else 400
        return await _page(
            request, sent=exc.kind == "wrong", error=CODE_ERRORS[exc.kind], status=status
        )
    await accounts.mark_verified(core, account, address)
    token = await sessions.rotate(core, session, second_factor=True)  # a new id after the step
    response = web.HTTPSeeOther("/portal/")
    set_session_cookie(request, response, TAXPAYER_COOKIE, token)
    await _remember_device(request, response, account)
    raise response


async def _remember_device(
    request: web.Request, response: web.StreamResponse, account: TaxpayerAccount
) -> None:
    days = request.app[CORE].config.core.accounts.remember_device_days
    if days <= 0:
        return
    token = await trusted_devices.remember(account.id, days)
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=int(days * 86400),
        httponly=True,
        samesite="Lax",
        secure=is_tls(request),
        path="/portal/",
    )


async def is_trusted_device(request: web.Request, account: TaxpayerAccount) -> bool:
    token = token_cookie(request, DEVICE_COOKIE)
    if not token:
        return False
    return await trusted_devices.is_trusted(account.id, token)


@pending_taxpayer_required
async def cancel(request: web.Request) -> web.StreamResponse:
    """ "Cancel Verification": leave without verifying (the session ends)."""
    raise await leave_portal(request, "/portal/login?cancelled=1")
