"""create_app(config) -> aiohttp Application. Settings come in; nothing global goes out."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Iterable

from aiohttp import web

from taxportal.config import AppConfig
from taxportal.jobs.running import running as jobs_running
from taxportal.runtime import build_core, started
from taxportal.services.accounts.passwords import PasswordHasher
from taxportal.services.signing import reminders as signing_reminders
from taxportal.services.signing import sweep as signing_sweep
from taxportal.services.uploads import digest as upload_digest
from taxportal.web import log_redaction
from taxportal.web.api import document as api_document
from taxportal.web.api.errors import api_errors
from taxportal.web.auth import load_sessions
from taxportal.web.errors import error_pages
from taxportal.web.ids import check_path_ids
from taxportal.web.keys import API_DOCUMENT, CORE, RUNNING, Running
from taxportal.web.language import choose_language
from taxportal.web.metrics_page import count_requests
from taxportal.web.rendering import STATIC, setup_templates
from taxportal.web.request_text import refuse_control_text
from taxportal.web.routes import core_routes
from taxportal.web.security import csrf_protect, security_headers
from taxportal.web.sockets import OPEN_SOCKETS, close_open_sockets


def create_app(
    config: AppConfig,
    extra_plugins: Iterable[object] = (),
    passwords: PasswordHasher | None = None,
) -> web.Application:
    """Build the app: plugins are loaded, settings checked and the key read here (errors
    raise now); backends and the database are opened when the app starts."""
    core = build_core(config, extra_plugins, passwords)
    log_redaction.install()
    app = web.Application(
        middlewares=[
            count_requests,  # outermost: the status the client saw, the whole time
            error_pages,
            api_errors,  # inside error_pages: /api/ refusals are answered in JSON first
            check_path_ids,
            refuse_control_text,
            load_sessions,
            choose_language,
            csrf_protect,
        ],
        client_max_size=1024 * 1024,
    )
    app.on_response_prepare.append(security_headers)
    app[CORE] = core
    app[RUNNING] = Running()
    app[API_DOCUMENT] = api_document.merged(core.plugins.api_documents())
    app[OPEN_SOCKETS] = weakref.WeakSet()  # a plugin's WebSockets, closed at shutdown
    app.on_shutdown.append(close_open_sockets)
    setup_templates(app, core.plugins.template_dirs())
    app.router.add_routes(core_routes())
    for route in core.plugins.routes():
        app.router.add_route(route.method, route.path, route.handler, name=route.name)
    app.router.add_static("/static/", STATIC, name="static")
    for prefix, directory in core.plugins.static_dirs():
        app.router.add_static(f"/static/plugins/{prefix}/", directory)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        # the job worker and lock notices run only while the database is open, and stop
        # before it closes
        async with started(core):
            await core.plugins.warm_backends()  # a server's work; commands skip it
            await upload_digest.ensure_scheduled()
            await signing_sweep.ensure_scheduled()
            await signing_reminders.ensure_scheduled()
            async with jobs_running(core) as worker:
                app[RUNNING].worker = worker  # for /readyz
                yield
                app[RUNNING].worker = None

    app.cleanup_ctx.append(lifecycle)
    return app
