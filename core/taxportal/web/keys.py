"""Typed keys for what the application holds (aiohttp AppKey, no globals)."""

from __future__ import annotations

from aiohttp import web

from taxportal.context import Core
from taxportal.models import StaffUser, TaxpayerAccount, WebSession

CORE = web.AppKey("core", Core)
STAFF = web.RequestKey("staff", StaffUser)  # the signed-in console user
STAFF_SESSION = web.RequestKey("staff_session", WebSession)
TAXPAYER_SESSION = web.RequestKey("taxpayer_session", WebSession)
ACCOUNT = web.RequestKey("account", TaxpayerAccount)  # the signed-in taxpayer
API_STAFF = web.RequestKey("api_staff", StaffUser)  # the owner of the API token in use
NEW_CSRF = web.RequestKey("new_csrf", str)  # a CSRF cookie to set on this response
LANG = web.RequestKey("lang", str)  # the language taxpayer pages are shown in
