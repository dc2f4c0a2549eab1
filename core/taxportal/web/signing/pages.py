"""Edit Taxpayer / Spouse Signature: the drawing box page, its Save, and the image on file.

Save takes the canvas's PNG as the request body (a fetch with the CSRF header; a
``data:image/png;base64,`` body is decoded too) and answers JSON; the service checks
the image whatever the browser said.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

from aiohttp import web

from taxportal.i18n import N_, gettext_for
from taxportal.services.signing import identity, signatures
from taxportal.services.signing.signature_png import MAX_BYTES, NOT_PNG, TOO_LARGE
from taxportal.web.access import taxpayer_principal
from taxportal.web.ids import path_id
from taxportal.web.keys import CORE, LANG, TAXPAYER_SESSION
from taxportal.web.security import csrf_token_for
from taxportal.web.signing import vendor
from taxportal.web.signing.next_path import same_site_path
from taxportal.web.taxpayer import portal_of, render_signed_in, taxpayer_required

PAGE = "/portal/signature/{role}"
PAGE_ROUTE = "/portal/signature/{role:taxpayer|spouse}"
IMAGE = "/portal/signature/image/{image_id}"
IMAGE_ROUTE = "/portal/signature/image/{image_id:\\d+}"
FILES_PAGE = "/portal/preparer-files"
IDENTITY_PAGE = "/portal/signing/identity"
DATA_URL = b"data:image/png;base64,"
BODY_CAP = len(DATA_URL) + (MAX_BYTES + 2) // 3 * 4  # the byte cap, base64-encoded
CHUNK = 64 * 1024
TITLES = {"taxpayer": N_("Edit Taxpayer Signature"), "spouse": N_("Edit Spouse Signature")}
SAVED = N_("Your signature was saved.")
# the page script's words, in the page's language
JS_TEXTS = {
    "empty": N_("The box is empty. Draw your signature in the box, then Save."),
    "saving": N_("Saving…"),
    "saved": SAVED,
    "cleared": N_("The box is empty again."),
    "failed": N_("Your signature could not be saved. Check your connection and try again."),
}


def routes() -> list[web.RouteDef]:
    """The routes of these pages, and the npm module the page loads."""
    return [
        web.get(PAGE_ROUTE, edit_page),
        web.post(PAGE_ROUTE, save),
        web.get(IMAGE_ROUTE, show_image),
        *vendor.routes(),
    ]


async def _role_and_portal(request: web.Request) -> tuple[str, int]:
    """The role named in the path, when this return has that signer; else 404."""
    role = request.match_info["role"]
    portal = await portal_of(request[TAXPAYER_SESSION])
    if role not in signatures.signer_roles(portal.tax_return):
        raise web.HTTPNotFound()
    return role, int(portal.id)


async def _spouse_verified(request: web.Request, role: str, portal_id: int) -> bool:
    """The spouse's own identity check passed minutes ago (only then is theirs drawn)."""
    if role != "spouse":
        return False
    return await identity.passed_for_signing(request.app[CORE], portal_id, role)


@taxpayer_required
async def edit_page(request: web.Request) -> web.Response:
    role, portal_id = await _role_and_portal(request)
    principal, language = taxpayer_principal(request), request[LANG]
    back = same_site_path(request.query.get("next"), FILES_PAGE)
    verified = await _spouse_verified(request, role, portal_id)
    if role == "spouse" and not verified:  # the spouse confirms who they are, then draws
        here = f"{PAGE.format(role=role)}?{urlencode({'next': back})}"
        raise web.HTTPSeeOther(f"{IDENTITY_PAGE}?{urlencode({'role': role, 'next': here})}")
    try:
        signatures.may_draw(principal, role, spouse_verified=verified)
        refusal = ""
    except signatures.MayNotDraw as refused:
        refusal = refused.reason
    try:
        kept = await signatures.on_file(principal, portal_id, role)
    except signatures.NotFound:
        raise web.HTTPNotFound() from None
    data = {
        "saveUrl": PAGE.format(role=role),
        "csrf": csrf_token_for(request),
        "texts": {key: gettext_for(language, text) for key, text in JS_TEXTS.items()},
    }
    return await render_signed_in(
        request,
        "signature_edit.html",
        {
            "title": TITLES[role],
            "refusal": refusal,
            "ready": vendor.available("signature_pad.js"),
            "on_file": kept is not None,
            "back": back,
            "data": data,
        },
    )


@taxpayer_required
async def save(request: web.Request) -> web.Response:
    role, portal_id = await _role_and_portal(request)
    language = request[LANG]
    try:
        data = _png_of(await _bounded_body(request))
        verified = await _spouse_verified(request, role, portal_id)
        saved = await signatures.save(
            taxpayer_principal(request), role, data, spouse_verified=verified
        )
    except signatures.NotFound:
        raise web.HTTPNotFound() from None
    except signatures.MayNotDraw as refused:
        return _answer(language, 403, "refused", refused.reason)
    except signatures.SignatureRefused as refused:
        status = 413 if refused.reason == TOO_LARGE else 422
        return _answer(language, status, "refused", refused.reason)
    return _answer(language, 201, "saved", SAVED, image=IMAGE.format(image_id=saved.id))


def _answer(language: str, status: int, outcome: str, message: str, **more: str) -> web.Response:
    body = {"status": outcome, "message": gettext_for(language, message), **more}
    return web.json_response(body, status=status)


async def _bounded_body(request: web.Request) -> bytes:
    """The body, read no further than the cap allows: a larger one is refused unread."""
    if (request.content_length or 0) > BODY_CAP:
        raise signatures.SignatureRefused(TOO_LARGE)
    body = bytearray()
    while chunk := await request.content.read(CHUNK):
        body += chunk
        if len(body) > BODY_CAP:
            raise signatures.SignatureRefused(TOO_LARGE)
    return bytes(body)


def _png_of(body: bytes) -> bytes:
    """The PNG bytes of a raw body, or of a ``data:image/png;base64,`` one."""
    if not body.startswith(DATA_URL):
        return body
    try:
        return base64.b64decode(body[len(DATA_URL) :], validate=True)
    except (binascii.Error, ValueError):
        raise signatures.SignatureRefused(NOT_PNG) from None


@taxpayer_required
async def show_image(request: web.Request) -> web.Response:
    try:
        row = await signatures.image(taxpayer_principal(request), path_id(request, "image_id"))
    except signatures.NotFound:
        raise web.HTTPNotFound() from None
    return web.Response(
        body=row.png, content_type="image/png", headers={"Content-Disposition": "inline"}
    )
