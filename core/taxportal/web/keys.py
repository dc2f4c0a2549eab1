"""Typed keys for what the application holds (aiohttp AppKey, no globals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from taxportal.context import Core
from taxportal.jobs.worker import Worker

if TYPE_CHECKING:  # annotations only: the web side never queries the models itself
    from taxportal.models import StaffUser, TaxpayerAccount
    from taxportal.services.accounts.sessions import LiveSession

CORE = web.AppKey("core", Core)
API_DOCUMENT = web.AppKey("api_document", dict)  # the served /api/openapi.json


@dataclass
class Running:
    """What the app started (set while it serves: the app itself is frozen by then)."""

    worker: Worker | None = None


RUNNING = web.AppKey("running", Running)
STAFF: web.RequestKey[StaffUser] = web.RequestKey("staff")  # the signed-in console user
STAFF_SESSION: web.RequestKey[LiveSession] = web.RequestKey("staff_session")
TAXPAYER_SESSION: web.RequestKey[LiveSession] = web.RequestKey("taxpayer_session")
ACCOUNT: web.RequestKey[TaxpayerAccount] = web.RequestKey("account")  # the signed-in taxpayer
API_STAFF: web.RequestKey[StaffUser] = web.RequestKey("api_staff")  # the API token's owner
NEW_CSRF = web.RequestKey("new_csrf", str)  # a CSRF cookie to set on this response
LANG = web.RequestKey("lang", str)  # the language taxpayer pages are shown in
