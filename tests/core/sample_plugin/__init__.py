"""A third-party-style plugin used by the tests: a route, a template, a nav item, static
files, its own model with migrations, and an event listener."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
from aiohttp import web

from taxportal import hookimpl
from taxportal.contracts import ModelModule, NavItem, RouteSpec
from taxportal.events import PortalCreated, listens_to

HERE = Path(__file__).resolve().parent


async def notes_page(request: web.Request) -> web.Response:
    from tests.core.sample_plugin.models import PortalNote

    notes = await PortalNote.all().order_by("id")
    return aiohttp_jinja2.render_template("sample/notes.html", request, {"notes": notes})


class SamplePlugin:
    @hookimpl
    def taxportal_routes(self, config):  # type: ignore[no-untyped-def]
        return [RouteSpec("GET", "/sample/notes", notes_page, name="sample-notes")]

    @hookimpl
    def taxportal_template_dirs(self):  # type: ignore[no-untyped-def]
        return [str(HERE / "templates")]

    @hookimpl
    def taxportal_static_dirs(self):  # type: ignore[no-untyped-def]
        return [("sample", str(HERE / "static"))]

    @hookimpl
    def taxportal_nav_items(self, audience, config):  # type: ignore[no-untyped-def]
        return [NavItem("Notes", "/sample/notes", audience)] if audience == "staff" else []

    @hookimpl
    def taxportal_model_modules(self):  # type: ignore[no-untyped-def]
        return [
            ModelModule(
                "sample",
                ("tests.core.sample_plugin.models",),
                "tests.core.sample_plugin.migrations",
            )
        ]

    @hookimpl
    @listens_to(PortalCreated)
    async def taxportal_event(self, event: PortalCreated) -> None:
        from tests.core.sample_plugin.models import PortalNote

        text = f"portal {event.portal_id} for return {event.return_id} by {event.channel}"
        await PortalNote.create(text=text)
