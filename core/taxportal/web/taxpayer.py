"""What every taxpayer page shares: who is signed in, their portal, and page rendering."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from taxportal.services.accounts import sessions, taxpayers
from taxportal.web.auth import TAXPAYER_COOKIE
from taxportal.web.cookies import token_cookie
from taxportal.web.keys import ACCOUNT, LANG, TAXPAYER_SESSION
from taxportal.web.language import remember_language
from taxportal.web.rendering import render_portal_page

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import TaxpayerAccount
    from taxportal.services.accounts.sessions import FramePortal, LiveSession

ViewHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def signed_in_account(request: web.Request) -> TaxpayerAccount | None:
    return request.get(ACCOUNT)


def taxpayer_required(handler: ViewHandler) -> ViewHandler:
    """A signed-in taxpayer who has passed a security code on this device."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        session = request.get(TAXPAYER_SESSION)
        if session is None:
            raise web.HTTPSeeOther("/portal/login")
        if session.second_factor_at is None:
            raise web.HTTPSeeOther("/portal/verify")
        return await handler(request)

    return wrapper


def pending_taxpayer_required(handler: ViewHandler) -> ViewHandler:
    """A taxpayer past the password, possibly still owing a security code."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        if request.get(TAXPAYER_SESSION) is None:
            raise web.HTTPSeeOther("/portal/login")
        return await handler(request)

    return wrapper


async def portal_of(session: LiveSession) -> FramePortal:
    """The signed-in taxpayer's portal with its return (as ``FramePortal``): the session's
    statement loaded both."""
    return await taxpayers.portal_of(session)


def render(
    request: web.Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    return render_portal_page(request, f"portal/{template}", context or {}, status=status)


async def render_signed_in(
    request: web.Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    """A page inside the portal frame: it shows whose portal this is."""
    portal = await portal_of(request[TAXPAYER_SESSION])
    return render(
        request, template, {"tax_return": portal.tax_return, **(context or {})}, status=status
    )


def clear_taxpayer_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(TAXPAYER_COOKIE, path="/")


async def leave_portal(request: web.Request, location: str) -> web.HTTPSeeOther:
    """End the taxpayer's session (a copied cookie dies too) and go to ``location``,
    keeping the page language for the signed-out page."""
    token = token_cookie(request, TAXPAYER_COOKIE)
    if token:
        await sessions.end(token)
    response = web.HTTPSeeOther(location)
    clear_taxpayer_cookie(response)
    remember_language(request, response, request[LANG])
    return response
