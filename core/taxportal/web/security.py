"""Security headers on every response, and the CSRF check on every state change."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from taxportal.i18n import N_
from taxportal.web.cookies import token_cookie
from taxportal.web.keys import CORE, NEW_CSRF, STAFF_SESSION, TAXPAYER_SESSION

CSRF_COOKIE = "tp_csrf"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_tls(request: web.Request) -> bool:
    behind_proxy = request.app[CORE].config.core.server.behind_tls_proxy
    forwarded = request.headers.get("X-Forwarded-Proto", "") == "https" and behind_proxy
    return request.secure or forwarded


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """An ``on_response_prepare`` signal, not a middleware: it also sees what no middleware
    returns (raised redirects and errors, the router's own 404 and 405, streamed files)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")  # pages may carry tax data
    if is_tls(request):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def csrf_token_for(request: web.Request) -> str:
    """The token forms must echo: the session's when signed in, else a cookie-bound one."""
    session = request.get(STAFF_SESSION) or request.get(TAXPAYER_SESSION)
    if session is not None:
        return str(session.csrf_token)
    token = token_cookie(request, CSRF_COOKIE) or request.get(NEW_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request[NEW_CSRF] = token
    return str(token)


@web.middleware
async def csrf_protect(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in SAFE_METHODS and not request.path.startswith("/api/"):
        expected = (
            csrf_token_for(request)
            if (
                request.get(STAFF_SESSION)
                or request.get(TAXPAYER_SESSION)
                or token_cookie(request, CSRF_COOKIE)
            )
            else ""
        )
        given = request.headers.get("X-CSRF-Token") or request.query.get(CSRF_FIELD, "")
        if not given and request.content_type == "application/x-www-form-urlencoded":
            given = str((await request.post()).get(CSRF_FIELD, ""))
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise web.HTTPForbidden(
                text=N_("This form has expired. Go back, reload the page and try again.")
            )
    response = await handler(request)
    if request.get(NEW_CSRF):
        response.set_cookie(
            CSRF_COOKIE,
            request[NEW_CSRF],
            httponly=True,
            samesite="Lax",
            secure=is_tls(request),
            path="/",
        )
    return response
