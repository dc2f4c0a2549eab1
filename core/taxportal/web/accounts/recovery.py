"""Forgot password, forgot user name, and changing the password: never tells who has an account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from taxportal.i18n import N_
from taxportal.services.accounts import codes, sessions, throttle
from taxportal.services.accounts import taxpayers as accounts
from taxportal.services.accounts.codes import CodeError
from taxportal.services.accounts.password_policy import rules_for
from taxportal.services.accounts.taxpayers import AccountError
from taxportal.services.messages import username_message
from taxportal.text import InvalidValue, normalize_email, normalize_phone
from taxportal.web.auth import TAXPAYER_COOKIE, client_address, set_session_cookie
from taxportal.web.keys import CORE, LANG, TAXPAYER_SESSION
from taxportal.web.request_text import read_form
from taxportal.web.taxpayer import render, render_signed_in, taxpayer_required

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import TaxpayerAccount

SENT = N_(
    "If we found a verified account, we sent a security code to its email or phone. "
    "Enter it below with your new password."
)
USERNAME_SENT = N_(
    "If that email or phone belongs to a verified account, we sent its user name there."
)
ERRORS = {
    "code": N_("The code is not right or has expired. Ask for a new one."),
    "password": N_("The password does not meet the rules shown beside it."),
    "mismatch": N_("The two passwords are not the same."),
    "current": N_("Your current password is not right."),
    "throttled": N_(
        "Too many attempts from this connection. Please wait a few minutes and try again."
    ),
}


def _rules(request: web.Request):  # type: ignore[no-untyped-def]
    return rules_for(request.app[CORE].config.core.accounts.password_policy)


async def forgot_password_page(request: web.Request) -> web.Response:
    return render(request, "forgot_password.html", {"error": ""})


async def forgot_password(request: web.Request) -> web.Response:
    core = request.app[CORE]
    form = await read_form(request)
    identifier = str(form.get("identifier", ""))[:254]
    channel = str(form.get("channel", "email"))
    try:
        await throttle.hit(core, "recovery", client_address(request))
    except throttle.Throttled:
        return render(request, "forgot_password.html", {"error": ERRORS["throttled"]}, 429)
    account = await accounts.find_for_recovery(identifier)
    if account is not None:
        contacts = await accounts.contacts(account)
        contact = next(
            (c for c in contacts if c.channel == channel), contacts[0] if contacts else None
        )
        if contact is not None:
            try:
                await codes.send(
                    core, account, "reset_password", contact, request[LANG], client_address(request)
                )
            except CodeError:
                pass  # the answer must not differ for a locked or cooling-down account
    return _reset_form(request, identifier, notice=SENT)


def _reset_form(
    request: web.Request,
    identifier: str,
    notice: str = "",
    error: str = "",
    broken: tuple[str, ...] = (),
    status: int = 200,
) -> web.Response:
    return render(
        request,
        "reset_password.html",
        {
            "identifier": identifier,
            "notice": notice,
            "error": error,
            "rules": _rules(request),
            "broken": broken,
        },
        status=status,
    )


async def reset_password(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    form = await read_form(request)
    identifier = str(form.get("identifier", ""))[:254]
    password = str(form.get("password", ""))
    address = client_address(request)
    try:
        await throttle.hit(core, "recovery", address)
    except throttle.Throttled:
        return _reset_form(request, identifier, error=ERRORS["throttled"], status=429)
    if password != str(form.get("password_again", "")):
        return _reset_form(request, identifier, error=ERRORS["mismatch"], status=400)
    account = await accounts.find_for_recovery(identifier)
    if account is None:
        return _reset_form(request, identifier, error=ERRORS["code"], status=400)
    try:
        await codes.check(core, account, "reset_password", str(form.get("code", ""))[:20], address)
        await accounts.change_password(core, account, password, address)
    except CodeError:  # wrong, expired or locked: one answer (a lock is told by message)
        return _reset_form(request, identifier, error=ERRORS["code"], status=400)
    except AccountError as exc:
        return _reset_form(
            request,
            identifier,
            error=ERRORS["password"],
            broken=tuple(exc.detail.split(",")),
            status=400,
        )
    await sessions.end_all(account=account)  # every session, everywhere
    raise web.HTTPSeeOther("/portal/login?password_changed=1")


async def forgot_username_page(request: web.Request) -> web.Response:
    return render(request, "forgot_username.html", {"notice": "", "error": ""})


async def forgot_username(request: web.Request) -> web.Response:
    core = request.app[CORE]
    form = await read_form(request)
    identifier = str(form.get("identifier", ""))[:254]
    try:
        await throttle.hit(core, "recovery", client_address(request))
    except throttle.Throttled:
        return render(
            request, "forgot_username.html", {"notice": "", "error": ERRORS["throttled"]}, 429
        )
    channel, address = _contact_kind(identifier)
    account = await accounts.find_for_recovery(identifier) if channel else None
    if account is not None and account.username_key != identifier.strip().casefold():
        message = username_message(core, channel, address, account.username, request[LANG])
        try:
            await core.plugins.notify(message)
        except Exception:  # noqa: BLE001, S110  # the answer must be the same either way
            pass
    return render(request, "forgot_username.html", {"notice": USERNAME_SENT, "error": ""})


def _contact_kind(identifier: str) -> tuple[str, str]:
    try:
        return "email", normalize_email(identifier)
    except InvalidValue:
        pass
    try:
        return "sms", normalize_phone(identifier)
    except InvalidValue:
        return "", ""


@taxpayer_required
async def change_password_page(request: web.Request) -> web.Response:
    return await render_signed_in(
        request, "change_password.html", {"error": "", "rules": _rules(request), "broken": ()}
    )


@taxpayer_required
async def change_password(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    session = request[TAXPAYER_SESSION]
    account: TaxpayerAccount = session.account
    form = await read_form(request)
    password = str(form.get("password", ""))

    async def again(kind: str, broken: tuple[str, ...] = ()) -> web.Response:
        return await render_signed_in(
            request,
            "change_password.html",
            {"error": ERRORS[kind], "rules": _rules(request), "broken": broken},
            400,
        )

    current = str(form.get("current", ""))
    if not await accounts.check_current_password(core, account, current, client_address(request)):
        return await again("current")
    if password != str(form.get("password_again", "")):
        return await again("mismatch")
    try:
        await accounts.change_password(core, account, password, client_address(request))
    except AccountError as exc:
        return await again("password", tuple(exc.detail.split(",")))
    await sessions.end_all(account=account)  # every other session ends, this one renews
    token, _ = await sessions.start(
        core, account=account, address=client_address(request), second_factor=True
    )
    response = web.HTTPSeeOther("/portal/?password_changed=1")
    set_session_cookie(request, response, TAXPAYER_COOKIE, token)
    raise response
