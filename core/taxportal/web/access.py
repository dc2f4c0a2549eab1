"""Who is asking, as the documents access check (services.document_access) sees it.

One function per side, never a guess: a browser may hold a console session and a
taxpayer session at once (a preparer testing the portal), and an API call may carry a
console cookie. Taxpayer pages always act for the taxpayer, console pages for the staff
user, API views for the token's owner, and the activity log says so.
"""

from __future__ import annotations

from aiohttp import web

from taxportal.services.documents.access import Principal
from taxportal.web.auth import client_address, current_staff
from taxportal.web.keys import ACCOUNT, API_STAFF


def staff_principal(request: web.Request) -> Principal:
    """The signed-in staff user of a console page (behind ``staff_required``)."""
    staff = current_staff(request)
    if staff is None:  # staff_required runs first: a wiring mistake, not a user's
        raise web.HTTPForbidden()
    return Principal("staff", staff.id, client_address(request))


def api_principal(request: web.Request) -> Principal:
    """The owner of the API token in use (behind ``api_token_required``)."""
    return Principal("api", request[API_STAFF].id, client_address(request))


def taxpayer_principal(request: web.Request) -> Principal:
    """The signed-in taxpayer of a portal page (behind ``taxpayer_required``)."""
    account = request[ACCOUNT]
    return Principal(
        "taxpayer",
        account.id,
        client_address(request),
        portal_id=account.portal_id,  # type: ignore[attr-defined]
    )
