"""Who is asking: the console session cookie or an API bearer token."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aiohttp import web

from taxportal.services.accounts import sessions
from taxportal.services.accounts import staff as staff_service
from taxportal.web.cookies import token_cookie
from taxportal.web.keys import ACCOUNT, API_STAFF, CORE, STAFF, STAFF_SESSION, TAXPAYER_SESSION
from taxportal.web.security import Handler, is_tls

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import StaffUser

SESSION_COOKIE = "tp_staff"
# a page's script marks its background requests (polling) so they never count as activity
PASSIVE_HEADER = "X-Taxportal-Passive"
TAXPAYER_COOKIE = "tp_taxpayer"
ViewHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def load_sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the staff and taxpayer sessions named by their cookies, when still live."""
    core = request.app[CORE]
    touch = request.headers.get(PASSIVE_HEADER) != "1"
    token = token_cookie(request, SESSION_COOKIE)
    if token:
        session = await sessions.lookup(core, token, "staff", touch=touch)
        if session is not None and session.staff is not None:
            request[STAFF_SESSION] = session
            # Signed in means both factors: a password-only session is not "the staff".
            if session.second_factor_at is not None:
                request[STAFF] = session.staff
    token = token_cookie(request, TAXPAYER_COOKIE)
    if token:
        session = await sessions.lookup(core, token, "taxpayer", touch=touch)
        if session is not None and session.account is not None:
            request[TAXPAYER_SESSION] = session
            request[ACCOUNT] = session.account
    return await handler(request)


def set_session_cookie(
    request: web.Request, response: web.StreamResponse, name: str, token: str
) -> None:
    response.set_cookie(
        name, token, httponly=True, samesite="Lax", secure=is_tls(request), path="/"
    )


def current_staff(request: web.Request) -> StaffUser | None:
    """The signed-in console user (password and second factor both passed)."""
    return request.get(STAFF)


def pending_staff(request: web.Request) -> StaffUser | None:
    """The user of a session that passed the password but not yet the second factor."""
    session = request.get(STAFF_SESSION)
    if session is None or session.second_factor_at is not None:
        return None
    return session.staff


def safe_next(value: str) -> str:
    # Only same-site paths: never an open redirect ("//host" and "/\\host" are other hosts).
    same_site = value.startswith("/") and not value.startswith("//") and "\\" not in value
    return value if same_site and value.isprintable() else "/staff/"


def _sign_in_first(request: web.Request) -> web.HTTPSeeOther:
    """Where a request without a full console session goes: the code page or the sign-in."""
    query = urlencode({"next": request.rel_url.path}, safe="/")
    if pending_staff(request) is not None:
        return web.HTTPSeeOther(f"/staff/2fa?{query}")
    return web.HTTPSeeOther(f"/staff/login?{query}")


def actor(request: web.Request) -> str:
    user = current_staff(request)
    if user is not None:
        return f"staff:{user.id}"
    api_user = request.get(API_STAFF)
    return f"api:{api_user.id}" if api_user is not None else "anonymous"


def client_address(request: web.Request) -> str:
    """Where the request came from, for the activity log and the per-address limits.

    Behind the firm's TLS proxy (``[server] behind_tls_proxy``) every connection comes
    from the proxy, which appends the address it saw to X-Forwarded-For: the last entry
    is the one to trust (earlier ones are whatever the client chose to send).
    """
    if request.app[CORE].config.core.server.behind_tls_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded[:64]
    return request.remote or ""


def staff_required(handler: ViewHandler) -> ViewHandler:
    """A console page: signed in with password and second factor, else a redirect to the
    sign-in (or to the code page when only the password passed), back here afterwards."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        if current_staff(request) is None:
            raise _sign_in_first(request)
        return await handler(request)

    return wrapper


def admin_required(handler: ViewHandler) -> ViewHandler:
    """A console page for admins: as ``staff_required``, and 403 for a preparer."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        user = current_staff(request)
        if user is None:
            raise _sign_in_first(request)
        if user.role != "admin":
            raise web.HTTPForbidden(text="Only an admin can do this.")
        return await handler(request)

    return wrapper


def api_token_required(handler: ViewHandler) -> ViewHandler:
    """An API view: a live ``Authorization: Bearer`` token, else 401 in JSON."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = None
        if scheme.lower() == "bearer" and token:
            user = await staff_service.user_for_api_token(token.strip())
        if user is None:
            return web.json_response(
                {"error": "a valid API token is required (Authorization: Bearer tp_...)"},
                status=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        request[API_STAFF] = user
        return await handler(request)

    return wrapper
