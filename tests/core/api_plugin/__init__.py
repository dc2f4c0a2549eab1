"""A plugin written only against `taxportal.api`: a Messages item in the portal's sidebar
and a guarded page in the portal frame (its own catalog), an admin page in the console
frame, its own settings, an activity entry, the access check and a taxpayer notice."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from taxportal.api import (
    Denied,
    NavItem,
    Notice,
    PluginSettings,
    RouteSpec,
    Translations,
    admin_required,
    check_access,
    core_of,
    current_staff,
    current_taxpayer,
    hookimpl,
    plugin_settings,
    portal_of,
    record_activity,
    render_in_console_frame,
    render_in_portal_frame,
    taxpayer_required,
)

HERE = Path(__file__).resolve().parent
SECTION = "api_sample"
catalog = Translations(HERE / "locale")


class SampleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    greeting: str = "Talk to your preparer"
    max_messages: int = Field(default=20, gt=0)


@taxpayer_required
async def messages_page(request: web.Request) -> web.Response:
    taxpayer = current_taxpayer(request)
    assert taxpayer is not None and taxpayer.verified
    portal = await portal_of(request)
    settings = plugin_settings(core_of(request).config, SECTION, SampleSettings)
    await record_activity(
        "sample_messages_viewed",
        principal=taxpayer.principal,
        subject=f"portal:{taxpayer.portal_id}",
    )
    return await render_in_portal_frame(
        request,
        "api_sample/messages.html",
        {"greeting": settings.greeting, "portal": portal, "taxpayer": taxpayer},
        catalog=catalog,
    )


@taxpayer_required
async def portal_files(request: web.Request) -> web.Response:
    """The access check decides: another portal's list is "not found"."""
    taxpayer = current_taxpayer(request)
    assert taxpayer is not None
    try:
        portal_id = int(request.match_info["portal_id"])
        await check_access(taxpayer.principal, "list", "document", portal_id=portal_id)
    except (ValueError, Denied):
        raise web.HTTPNotFound() from None
    return web.Response(text=f"files of portal {portal_id}")


@admin_required
async def console_page(request: web.Request) -> web.Response:
    staff = current_staff(request)
    assert staff is not None and staff.is_admin
    return render_in_console_frame(request, "api_sample/console.html", {"who": staff.email})


def message_notice(language: str, channel: str) -> Notice:
    text = catalog.gettext(language, "Your preparer wrote to you.")
    return Notice(text=text, subject=catalog.gettext(language, "A new message"))


class ApiSamplePlugin:
    @hookimpl
    def taxportal_settings_model(self):  # type: ignore[no-untyped-def]
        return PluginSettings(SECTION, SampleSettings)

    @hookimpl
    def taxportal_routes(self, config):  # type: ignore[no-untyped-def]
        return [
            RouteSpec("GET", "/portal/messages", messages_page),
            RouteSpec("GET", "/sample/portals/{portal_id}/files", portal_files),
            RouteSpec("GET", "/staff/sample", console_page),
        ]

    @hookimpl
    def taxportal_template_dirs(self):  # type: ignore[no-untyped-def]
        return [str(HERE / "templates")]

    @hookimpl
    def taxportal_nav_items(self, audience, config):  # type: ignore[no-untyped-def]
        if audience == "taxpayer":
            return [NavItem("Messages", "/portal/messages", "taxpayer", 40, catalog=catalog)]
        return [NavItem("Sample admin", "/staff/sample", order=80, admin_only=True)]
