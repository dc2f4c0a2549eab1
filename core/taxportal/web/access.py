"""Who is asking, as the documents access check (services.document_access) sees it."""

from __future__ import annotations

from aiohttp import web

from taxportal.services.document_access import Principal
from taxportal.web.auth import client_address, current_staff
from taxportal.web.keys import ACCOUNT, API_STAFF


def principal_of(request: web.Request) -> Principal | None:
    """The signed-in staff user, the API token's owner, or the signed-in taxpayer."""
    address = client_address(request)
    staff = current_staff(request)
    if staff is not None:
        return Principal("staff", staff.id, address)
    api_user = request.get(API_STAFF)
    if api_user is not None:
        return Principal("api", api_user.id, address)
    account = request.get(ACCOUNT)
    if account is not None:
        return Principal("taxpayer", account.id, address, portal_id=account.portal_id)
    return None
