"""The core's routes, in one table; API and import routes live in their own modules."""

from __future__ import annotations

from aiohttp import web

from taxportal.web import (
    api,
    api_uploads,
    clients,
    document_manager,
    import_page,
    jobs_page,
    portal_routes,
    portals,
    return_forms,
    second_factor,
    sign_in,
    staff_settings,
    staff_users,
    tokens_page,
    view_documents,
)


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
        *api.routes(),
        *api_uploads.routes(),
    ]
