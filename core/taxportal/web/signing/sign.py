"""Sign one document: the page that leads the signer through what is missing (consent,
identity, a signature, a View) and the Sign button. Thin over ``services/signing/sign.py``."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from taxportal.services.signing import sign as signing
from taxportal.web.access import taxpayer_principal
from taxportal.web.auth import client_address
from taxportal.web.ids import path_id
from taxportal.web.keys import CORE
from taxportal.web.taxpayer import render_signed_in, taxpayer_required

PAGE = "/portal/preparer-files/{document_id}/sign/{role}"
ROUTE = "/portal/preparer-files/{document_id:\\d+}/sign/{role:taxpayer|spouse}"
FILES_PAGE = "/portal/preparer-files"
# a refusal the signer fixes on another page: where it is, told to come back here
ELSEWHERE = {
    "consent": "/portal/signing/consent",
    "identity": "/portal/signing/identity",
}
STATUS = {"busy": 409, "voided": 409, "view": 409, "locked": 423, "failed": 502, "unavailable": 503}


def routes() -> list[web.RouteDef]:
    return [web.get(ROUTE, sign_page), web.post(ROUTE, sign_post)]


def _here(document_id: int, role: str) -> str:
    return PAGE.format(document_id=document_id, role=role)


def _away(step: str, document_id: int, role: str) -> web.HTTPSeeOther:
    """To the page that fixes ``step``, coming back here after."""
    back = _here(document_id, role)
    if step == "signature":
        return web.HTTPSeeOther(f"/portal/signature/{role}?{urlencode({'next': back})}")
    return web.HTTPSeeOther(f"{ELSEWHERE[step]}?{urlencode({'role': role, 'next': back})}")


def _done(document_id: int) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{FILES_PAGE}?{urlencode({'signed': document_id})}#doc-{document_id}")


async def _page(
    request: web.Request, ready: signing.Ready, message: str = "", status: int = 200
) -> web.Response:
    if ready.step == "locked":
        return await render_signed_in(request, "signing_paper.html", {"role": ready.role}, 423)
    return await render_signed_in(
        request,
        "sign_document.html",
        {
            "ready": ready,
            "message": message,
            "view": f"{FILES_PAGE}/{ready.document_id}?{urlencode({'signer': ready.role})}",
        },
        status,
    )


async def _readiness(request: web.Request) -> signing.Ready:
    document_id, role = path_id(request, "document_id"), request.match_info["role"]
    try:
        return await signing.readiness(
            request.app[CORE], taxpayer_principal(request), document_id, role
        )
    except signing.NotFound:
        raise web.HTTPNotFound() from None
    except signing.Refused as refused:
        if refused.reason == "signed":
            raise _done(document_id) from None
        raise web.HTTPConflict(text="This document was replaced by a newer version.") from None


@taxpayer_required
async def sign_page(request: web.Request) -> web.Response:
    ready = await _readiness(request)
    if ready.step in ELSEWHERE or ready.step == "signature":
        raise _away(ready.step, ready.document_id, ready.role)
    return await _page(request, ready)


@taxpayer_required
async def sign_post(request: web.Request) -> web.Response:
    document_id, role = path_id(request, "document_id"), request.match_info["role"]
    try:
        await signing.sign(
            request.app[CORE],
            taxpayer_principal(request),
            document_id,
            role,
            ip=client_address(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except signing.NotFound:
        raise web.HTTPNotFound() from None
    except signing.Refused as refused:
        if refused.reason == "signed":  # a replayed Sign: already done, say so
            raise _done(document_id) from None
        if refused.reason in ELSEWHERE or refused.reason == "signature":
            raise _away(refused.reason, document_id, role) from None
        ready = await _readiness(request)
        return await _page(request, ready, refused.message, STATUS.get(refused.reason, 409))
    raise _done(document_id)
