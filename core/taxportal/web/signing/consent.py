"""The electronic-records consent page (before a first signature) and "Sign on paper"."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from taxportal.i18n import N_, medium_date
from taxportal.services.signing import consent as consent_service
from taxportal.services.signing import identity
from taxportal.web.access import taxpayer_principal
from taxportal.web.keys import ACCOUNT, CORE, LANG
from taxportal.web.request_text import read_form
from taxportal.web.signing.next_path import same_site_path
from taxportal.web.taxpayer import render_signed_in, taxpayer_required

PAGE = "/portal/signing/consent"
PAPER = "/portal/signing/paper"
IDENTITY = "/portal/signing/identity"
CHOICES = ("accepted", "declined")  # the two buttons; withdrawing has its own form


def routes() -> list[web.RouteDef]:
    """The routes of these pages."""
    return [
        web.get(PAGE, consent_page),
        web.post(PAGE, decide),
        web.post(PAGE + "/withdraw", withdraw),
        web.get(PAPER, paper_page),
    ]


def _role(value: Any) -> str:
    """A signer's role from the query or the form; anything else is a 404."""
    if value not in consent_service.ROLES:
        raise web.HTTPNotFound()
    return str(value)


async def _page(
    request: web.Request, role: str, next_path: str, status: int = 200, error: str = ""
) -> web.Response:
    portal_id = request[ACCOUNT].portal_id  # type: ignore[attr-defined]
    language = request[LANG]
    try:
        shown = await consent_service.signer_disclosure(
            request.app[CORE], portal_id, role, language
        )
    except consent_service.NotFound:
        raise web.HTTPNotFound() from None
    newest = await consent_service.current(portal_id, role)
    values = {
        "role": role,
        "next": next_path,
        "disclosure": Markup(shown.html),  # noqa: S704 -- rendered, escaped, by the service
        "text_sha256": shown.sha256,
        "decision": newest.decision if newest else "",
        "decided_on": medium_date(newest.at, language) if newest else "",
        "error": error,
    }
    return await render_signed_in(request, "signing_consent.html", values, status=status)


def _identity_first(role: str, next_path: str) -> web.HTTPSeeOther:
    """To the spouse's own identity check, then back to this page (then on to ``next``)."""
    here = PAGE + "?" + urlencode({"role": role, "next": next_path})
    return web.HTTPSeeOther(IDENTITY + "?" + urlencode({"role": role, "next": here}))


@taxpayer_required
async def consent_page(request: web.Request) -> web.Response:
    role = _role(request.query.get("role", "taxpayer"))
    next_path = same_site_path(request.query.get("next"))
    portal_id = request[ACCOUNT].portal_id  # type: ignore[attr-defined]
    if role == "spouse" and not await identity.passed_for_signing(
        request.app[CORE], portal_id, role
    ):
        if await identity.has_signer(portal_id, role):
            raise _identity_first(role, next_path)
    return await _page(request, role, next_path)


@taxpayer_required
async def decide(request: web.Request) -> web.Response:
    form = await read_form(request)
    role = _role(form.get("role"))
    next_path = same_site_path(str(form.get("next", "")))
    decision = form.get("decision")
    if decision not in CHOICES:
        return await _page(request, role, next_path, 400, N_("Choose I agree or I do not agree."))
    try:
        await consent_service.record(
            request.app[CORE],
            taxpayer_principal(request),
            role,
            str(decision),
            request[LANG],
            request.headers.get("User-Agent", ""),
            shown_sha256=str(form.get("text_sha256", "")),
        )
    except consent_service.NotFound:
        raise web.HTTPNotFound() from None
    except consent_service.IdentityFirst:
        raise _identity_first(role, next_path) from None
    except consent_service.TextChanged:
        message = N_("The text changed while you were reading it. Please read it again.")
        return await _page(request, role, next_path, 409, message)
    if decision == "accepted":
        raise web.HTTPSeeOther(next_path)
    raise web.HTTPSeeOther(PAPER + "?" + urlencode({"role": role}))


@taxpayer_required
async def withdraw(request: web.Request) -> web.Response:
    form = await read_form(request)
    role = _role(form.get("role"))
    try:
        done = await consent_service.withdraw(
            request.app[CORE],
            taxpayer_principal(request),
            role,
            request[LANG],
            request.headers.get("User-Agent", ""),
        )
    except consent_service.NotFound:
        raise web.HTTPNotFound() from None
    if done is None:  # nothing to withdraw (already withdrawn, say): show where things stand
        raise web.HTTPSeeOther(PAGE + "?" + urlencode({"role": role}))
    raise web.HTTPSeeOther(PAPER + "?" + urlencode({"role": role, "withdrawn": "1"}))


@taxpayer_required
async def paper_page(request: web.Request) -> web.Response:
    role = _role(request.query.get("role", "taxpayer"))
    values = {
        "role": role,
        "withdrawn": request.query.get("withdrawn") == "1",
        "consent_link": PAGE + "?" + urlencode({"role": role}),
    }
    return await render_signed_in(request, "sign_on_paper.html", values)
