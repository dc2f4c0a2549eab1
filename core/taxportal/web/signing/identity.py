"""Identity at signing, the taxpayer's and the spouse's pages: thin handlers over
``services/signing/identity.py``. GET shows (never sends); POST ``start`` sends a fresh
code, POST ``answer`` checks, then goes on to ``next`` (a path of this site only)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from aiohttp import web

from taxportal.contracts import SignerCheckError
from taxportal.i18n import N_
from taxportal.services.accounts import throttle
from taxportal.services.signing import identity
from taxportal.web.access import taxpayer_principal
from taxportal.web.auth import client_address
from taxportal.web.keys import ACCOUNT, CORE, LANG
from taxportal.web.request_text import read_form
from taxportal.web.signing.next_path import same_site_path
from taxportal.web.taxpayer import render_signed_in, taxpayer_required

PATH = "/portal/signing/identity"
_FIELD = re.compile(r"c[0-9]{1,2}_[a-z0-9_]{1,32}")
ERRORS = {
    "wrong": N_("That did not match what we have on file."),
    "expired": N_("Your security code expired or was already used. Send a new code."),
    "cooldown": N_("A code was just sent. You can ask for another one in %(seconds)s seconds."),
    "no_contact": N_(
        "We have no email or mobile phone for you on this return. Ask your preparer to add one."
    ),
    "delivery": N_("We could not send the code. Please try again, or contact your preparer."),
    "locked": N_("Too many wrong codes. Your account is locked for a while."),
    "throttled": N_("Too many attempts from this connection. Please wait a few minutes."),
}


def routes() -> list[web.RouteDef]:
    return [web.get(PATH, identity_page), web.post(PATH, identity_post)]


def _here(role: str, next_path: str) -> str:
    """This page's own address, rebuilt from the checked values (never the raw query)."""
    return f"{PATH}?{urlencode({'role': role, 'next': next_path})}"


def _params(request: web.Request) -> tuple[str, str]:
    role = request.query.get("role", "")
    if role not in identity.ROLES:
        raise web.HTTPBadRequest(text="role is taxpayer or spouse")
    # one rule with the consent page: a path of this site under /portal/, else the default
    return role, same_site_path(request.query.get("next"))


def _portal_id(request: web.Request) -> int:
    return int(request[ACCOUNT].portal_id)


async def _page(
    request: web.Request,
    role: str,
    next_path: str,
    error: str = "",
    *,
    status: int = 200,
    seconds: int = 0,
    attempts_left: int | None = None,
) -> web.Response:
    core = request.app[CORE]
    state = await identity.status(core, _portal_id(request), role)
    if state.locked:
        return await render_signed_in(request, "signing_paper.html", {"role": role}, status)
    return await render_signed_in(
        request,
        "signing_identity.html",
        {
            "role": role,
            "action": _here(role, next_path),
            "state": state,
            "error": error,
            "seconds": seconds,
            "attempts_left": state.attempts_left if attempts_left is None else attempts_left,
        },
        status,
    )


@taxpayer_required
async def identity_page(request: web.Request) -> web.Response:
    role, next_path = _params(request)
    await _signer_exists(request, role)
    return await _page(request, role, next_path)


async def _signer_exists(request: web.Request, role: str) -> None:
    """The spouse of a return without one is nobody's page: 404."""
    if role == "spouse" and not await identity.has_signer(_portal_id(request), role):
        raise web.HTTPNotFound()


@taxpayer_required
async def identity_post(request: web.Request) -> web.StreamResponse:
    role, next_path = _params(request)
    core = request.app[CORE]
    form = await read_form(request)
    principal = taxpayer_principal(request)
    language = request[LANG]
    try:
        if form.get("action") == "start":
            try:
                # each start sends a code (a text costs the firm): bounded per address
                await throttle.hit(core, "signing_code", client_address(request))
                await identity.start(core, principal, role, language=language)
            except throttle.Throttled:
                return await _page(request, role, next_path, ERRORS["throttled"], status=429)
            except SignerCheckError as exc:
                kind = exc.kind if exc.kind in ERRORS else "delivery"
                status = 429 if kind == "cooldown" else 409 if kind == "no_contact" else 502
                return await _page(
                    request, role, next_path, ERRORS[kind], status=status, seconds=exc.seconds
                )
            raise web.HTTPSeeOther(_here(role, next_path))
        answers = {k: str(v) for k, v in form.items() if _FIELD.fullmatch(k)}
        outcome = await identity.answer(
            core,
            principal,
            role,
            answers,
            client_address(request),
            request.headers.get("User-Agent", ""),
            language=language,
        )
    except identity.NotFound:
        raise web.HTTPNotFound() from None
    except identity.Locked:
        return await _page(request, role, next_path, status=423)
    except ValueError:
        raise web.HTTPBadRequest(text="answers are short texts") from None
    if outcome.passed:
        raise web.HTTPSeeOther(next_path)
    if outcome.locked:
        return await _page(request, role, next_path, status=423)
    error = ERRORS["expired"] if outcome.expired else ERRORS["wrong"]
    return await _page(
        request, role, next_path, error, status=400, attempts_left=outcome.attempts_left
    )
