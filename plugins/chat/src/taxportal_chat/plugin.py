"""The chat plugin's hooks: its settings, tables, pages, static files and menu item."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from taxportal.api import JobHandler, ModelModule, NavItem, PluginSettings, RouteSpec, hookimpl
from taxportal_chat import api_routes, notices, taxpayer_pages
from taxportal_chat.i18n import catalog
from taxportal_chat.settings import SECTION, ChatSettings

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
