"""Manage Portals > Current Year Clients: create a portal, resend its link or, once the
taxpayer has an account, send a sign-in reminder."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from taxportal.services.accounts import portals as portal_service
from taxportal.services.accounts import taxpayers as accounts
from taxportal.services.returns import client_list, client_search
from taxportal.services.returns import records as returns_service
from taxportal.text import whole_number
from taxportal.web.auth import actor, client_address, staff_required
from taxportal.web.ids import path_id
from taxportal.web.keys import CORE
from taxportal.web.request_text import read_form
from taxportal.web.returns.clients import MAX_PAGE

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import TaxReturn


def current_year() -> int:
    # Returns filed in a season are for the previous calendar year.
    return dt.date.today().year - 1


@staff_required
async def send_link_dialog(request: web.Request) -> web.Response:
    return await _dialog(request, await _get_return(request))


async def _dialog(
    request: web.Request, tax_return: TaxReturn, error: str = "", status: int = 200
) -> web.Response:
    """ "Send link to customer's:" with the client's phone and email."""
    return aiohttp_jinja2.render_template(
        "staff/send_link.html",
        request,
        {
            "tax_return": tax_return,
            "portal": await portal_service.portal_of_return(tax_return.id),
            "registered": await portal_service.is_registered(tax_return.id),
            "error": error,
            "missing": portal_service.missing_for_portal(tax_return),
            "back": _back(request),
        },
        status=status,
    )


@staff_required
async def send_link(request: web.Request) -> web.StreamResponse:
    tax_return = await _get_return(request)
    form = await read_form(request)
    channel = str(form.get("channel", ""))
    try:
        outcome = await portal_service.invite(
            request.app[CORE], tax_return.id, channel, actor(request), client_address(request)
        )
    except portal_service.PortalError as exc:
        return await _dialog(request, tax_return, str(exc), status=400)
    done = "created" if outcome.created else "reminded" if outcome.reminded else "resent"
    if outcome.retrying:  # kept, and sent by a job once the notifier takes it
        done += "-waiting"
    raise web.HTTPSeeOther(URL(_back(request)).update_query(done=done, client=tax_return.id))


def _back(request: web.Request) -> str:
    back = request.query.get("back", "/staff/portals")
    return back if back.startswith("/staff/") else "/staff/portals"


async def _get_return(request: web.Request):  # type: ignore[no-untyped-def]
    try:
        return await returns_service.get(path_id(request, "return_id"))
    except returns_service.ReturnNotFound:
        raise web.HTTPNotFound() from None


@staff_required
async def manage_portals(request: web.Request) -> web.Response:
    page = whole_number(request.query.get("page", ""), 1, MAX_PAGE) or 1
    search = request.query.get("q", "")[:100]
    result = await client_list.page(
        search=search,
        tax_year=current_year(),
        page=page,
        per_page=50,
        ssn_digest=returns_service.ssn_digester(request.app[CORE]),
    )
    return aiohttp_jinja2.render_template(
        "staff/portals.html",
        request,
        {
            "result": result,
            "search": client_search.masked(search),  # never an SSN on the page
            "year": current_year(),
            "missing_for_portal": portal_service.missing_for_portal,
            "done": request.query.get("done", ""),
            "done_client": request.query.get("client", ""),
        },
    )


@staff_required
async def unlock(request: web.Request) -> web.StreamResponse:
    """Clear a portal's registration, code and sign-in lockouts."""
    tax_return = await _get_return(request)
    portal = await portal_service.portal_of_return(tax_return.id)
    if portal is None:
        raise web.HTTPNotFound()
    await accounts.unlock_portal(portal.id, actor(request))
    raise web.HTTPSeeOther(URL("/staff/portals").with_query(done="unlocked", client=tax_return.id))
