"""The core's routes, in one table; API and import routes live in their own modules."""

from __future__ import annotations

from aiohttp import web

from taxportal.web import health, metrics_page, portal_routes
from taxportal.web.api import returns as api
from taxportal.web.api import uploads as api_uploads
from taxportal.web.console import jobs as jobs_page
from taxportal.web.console import second_factor, sign_in
from taxportal.web.console import settings as staff_settings
from taxportal.web.console import tokens as tokens_page
from taxportal.web.console import users as staff_users
from taxportal.web.documents import manager as document_manager
from taxportal.web.documents import signed as signed_documents
from taxportal.web.returns import clients, import_page, portals
from taxportal.web.returns import forms as return_forms
from taxportal.web.uploads import view_documents


def core_routes() -> list[web.RouteDef]:
    return [
        web.get("/staff/login", sign_in.sign_in_page),
        web.post("/staff/login", sign_in.sign_in),
        web.post("/staff/logout", sign_in.sign_out),
        web.get("/staff/", clients.client_list),
        web.get("/staff/returns/new", return_forms.new_return_page),
        web.post("/staff/returns/new", return_forms.save_return),
        web.get("/staff/returns/{return_id:\\d+}/edit", return_forms.edit_return_page),
        web.post("/staff/returns/{return_id:\\d+}/edit", return_forms.save_return),
        web.get("/staff/portals", portals.manage_portals),
        web.get("/staff/portals/{return_id:\\d+}/send", portals.send_link_dialog),
        web.post("/staff/portals/{return_id:\\d+}/send", portals.send_link),
        web.post("/staff/portals/{return_id:\\d+}/unlock", portals.unlock),
        *second_factor.routes(),
        *staff_users.routes(),
        *jobs_page.routes(),
        *staff_settings.routes(),
        *portal_routes.routes(),
        *import_page.routes(),
        *tokens_page.routes(),
        *view_documents.routes(),
        *document_manager.routes(),
        *signed_documents.routes(),
        *api.routes(),
        *api_uploads.routes(),
        *health.routes(),
        *metrics_page.routes(),
    ]
