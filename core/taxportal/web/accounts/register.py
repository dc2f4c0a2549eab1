"""The invitation link: "Register Your Account", or why the link no longer works.

A portal has one account: once it has it, any of its invitation links says so and points
to sign-in and "Forgot user name?" (never "this user name is taken"), and asks for no
new link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from taxportal.i18n import N_
from taxportal.services import activity
from taxportal.services.accounts import portals as portal_service
from taxportal.services.accounts import sessions, throttle
from taxportal.services.accounts import taxpayers as accounts
from taxportal.services.accounts.password_policy import rules_for
from taxportal.services.accounts.portals import LinkState, link_state
from taxportal.services.accounts.taxpayers import AccountError, Registration
from taxportal.web.auth import TAXPAYER_COOKIE, client_address, set_session_cookie
from taxportal.web.keys import CORE
from taxportal.web.language import chosen_language, use_return_language
from taxportal.web.request_text import read_form
from taxportal.web.taxpayer import render

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import Portal

FIELDS = ("username", "email", "phone", "last_name", "ssn_last4")
ERRORS = {
    "mismatch": N_(
        "We could not match this information to your tax return. Check what you "
        "typed and try again, or contact your preparer."
    ),
    "username_taken": N_("This user name is taken. Please choose another one."),
    "username_format": N_(
        "A user name has 3 to 64 letters, digits, dots, dashes, underscores or @, and no spaces."
    ),
    "password": N_("The password does not meet the rules shown beside it."),
    "invitation_locked": N_(
        "This invitation is locked after too many attempts. Ask your "
        "preparer to unlock it or to send you a new link."
    ),
    "throttled": N_(
        "Too many attempts from this connection. Please wait a few minutes and try again."
    ),
}


async def _portal_for(token: str) -> tuple[LinkState, Portal | None]:
    state, invitation = await link_state(token)
    portal = None
    if invitation is not None:
        portal = await portal_service.portal_with_return(invitation.portal_id)
    return state, portal


def _form(
    request: web.Request,
    token: str,
    values: dict[str, str],
    error: str = "",
    broken: tuple[str, ...] = (),
    status: int = 200,
) -> web.Response:
    policy = request.app[CORE].config.core.accounts.password_policy
    return render(
        request,
        "register.html",
        {
            "token": token,
            "values": values,
            "error": error,
            "rules": rules_for(policy),
            "broken": broken,
        },
        status=status,
    )


async def invitation_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    state, portal = await _portal_for(token)
    if portal is not None:
        use_return_language(request, portal.tax_return)
    if state is not LinkState.VALID or portal is None:
        return _link_problem(request, token, state, portal)
    if portal.locked_at is not None:
        return _form(request, token, {}, ERRORS["invitation_locked"], status=423)
    return _form(request, token, {})


def _link_problem(
    request: web.Request, token: str, state: LinkState, portal: Portal | None
) -> web.Response:
    status = 404 if portal is None else 410
    return render(
        request,
        "link_problem.html",
        {"state": state.value, "token": token, "can_ask": portal is not None},
        status=status,
    )


async def register(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    core = request.app[CORE]
    state, portal = await _portal_for(token)
    if portal is not None:
        use_return_language(request, portal.tax_return)
    if state is not LinkState.VALID or portal is None:
        return _link_problem(request, token, state, portal)
    form = await read_form(request)
    values = {name: str(form.get(name, ""))[:254] for name in FIELDS}
    address = client_address(request)
    try:
        await throttle.hit(core, "register", address)
        registration = Registration(
            password=str(form.get("password", "")),
            language=chosen_language(request),  # a switch made before the account existed
            **values,
        )
        account = await accounts.register(core, token, registration, address)
    except throttle.Throttled:
        return _form(request, token, values, ERRORS["throttled"], status=429)
    except AccountError as exc:
        if exc.kind.startswith("link_"):
            return _link_problem(request, token, LinkState(exc.kind[5:]), portal)
        broken = tuple(exc.detail.split(",")) if exc.kind == "password" else ()
        status = 423 if exc.kind == "invitation_locked" else 400
        values.pop("ssn_last4")  # never echo any part of the SSN back
        return _form(
            request, token, values, ERRORS.get(exc.kind, ERRORS["mismatch"]), broken, status=status
        )
    session_token, _ = await sessions.start(core, account=account, address=address)
    response = web.HTTPSeeOther("/portal/verify")
    set_session_cookie(request, response, TAXPAYER_COOKIE, session_token)
    raise response


async def ask_for_new_link(request: web.Request) -> web.Response:
    """POST from a dead link: tell the preparer (shown in Manage Portals) without a new link."""
    token = request.match_info["token"]
    state, portal = await _portal_for(token)
    if portal is None:
        raise web.HTTPNotFound()
    use_return_language(request, portal.tax_return)
    if state not in (LinkState.VALID, LinkState.REGISTERED):
        await portal_service.ask_for_new_link(portal.id)
        await activity.record(
            "new_link_requested",
            subject=f"portal:{portal.id}",
            address=client_address(request),
            state=state.value,
        )
    return render(
        request,
        "link_problem.html",
        {"state": state.value, "token": token, "can_ask": False, "asked": True},
    )
