"""The chat plugin's hooks: its settings, tables, pages, static files and menu item."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from taxportal.api import (
    BusMessage,
    Event,
    JobHandler,
    MessagePosted,
    ModelModule,
    NavItem,
    PluginSettings,
    RouteSpec,
    hookimpl,
    listens_to,
)
from taxportal_chat import api_routes, hub, live_routes, notices, socket, taxpayer_pages
from taxportal_chat.i18n import catalog
from taxportal_chat.settings import SECTION, ChatSettings
from taxportal_chat.sides import STAFF_PAGE

if TYPE_CHECKING:
    from taxportal.api import AppConfig, Core

HERE = Path(__file__).resolve().parent


@hookimpl
def taxportal_settings_model() -> PluginSettings:
    return PluginSettings(section=SECTION, model=ChatSettings)


@hookimpl
def taxportal_model_modules() -> list[ModelModule]:
    return [ModelModule("chat", ("taxportal_chat.models",), "taxportal_chat.migrations")]


@hookimpl
def taxportal_job_handlers(config: AppConfig, core: Core) -> list[JobHandler]:
    return [notices.handler(core)]


@hookimpl
def taxportal_routes(config: AppConfig) -> list[RouteSpec]:
    page = taxpayer_pages.PAGE
    return [
        RouteSpec("GET", page, taxpayer_pages.messages_page, name="chat-portal"),
        RouteSpec("POST", page, taxpayer_pages.send, name="chat-portal-send"),
        *api_routes.routes(),
        *_live_routes(),
    ]


def _live_routes() -> list[RouteSpec]:
    """The live script's feed, read mark and socket, for both sides (the firm's page
    itself is the console's)."""
    mine, firm = taxpayer_pages.URLS, STAFF_PAGE
    for_taxpayer, for_staff = live_routes.for_taxpayer, live_routes.for_staff
    return [
        RouteSpec("GET", mine.feed, for_taxpayer(live_routes.feed), name="chat-portal-feed"),
        RouteSpec("POST", mine.read, for_taxpayer(live_routes.read), name="chat-portal-read"),
        RouteSpec("GET", mine.socket, socket.taxpayer_socket, name="chat-portal-socket"),
        RouteSpec("GET", f"{firm}/feed", for_staff(live_routes.feed), name="chat-staff-feed"),
        RouteSpec("POST", f"{firm}/read", for_staff(live_routes.read), name="chat-staff-read"),
        RouteSpec("GET", f"{firm}/socket", socket.staff_socket, name="chat-staff-socket"),
    ]


@hookimpl
def taxportal_api_document(config: AppConfig) -> dict[str, Any]:
    return api_routes.document()


@hookimpl
def taxportal_template_dirs() -> list[str]:
    return [str(HERE / "templates")]


@hookimpl
def taxportal_static_dirs() -> list[tuple[str, str]]:
    return [("chat", str(HERE / "static"))]


@hookimpl
def taxportal_nav_items(audience: str, config: AppConfig) -> list[NavItem]:
    if audience == "taxpayer":
        return [NavItem("Messages", taxpayer_pages.PAGE, "taxpayer", 40, catalog=catalog)]
    return []


@hookimpl
@listens_to(MessagePosted, BusMessage)
async def taxportal_event(event: Event) -> None:
    await hub.hear(event)  # this process' open pages of the conversation
