"""The chat plugin's hooks: its settings, tables, pages, static files, menu items, system
lines from portal events, and the unread marks of the console's client list."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from taxportal.api import (
    BusMessage,
    ClientMark,
    DocumentSigned,
    DocumentsSent,
    Event,
    FileUploaded,
    JobHandler,
    MessagePosted,
    ModelModule,
    NavItem,
    PluginSettings,
    RouteSpec,
    hookimpl,
    listens_to,
)
from taxportal_chat import (
    api_routes,
    conversation,
    hub,
    live_routes,
    notices,
    socket,
    staff_pages,
    system_lines,
    taxpayer_pages,
)
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
    return [notices.handler(core), system_lines.job_handler(core)]


@hookimpl
def taxportal_routes(config: AppConfig) -> list[RouteSpec]:
    page = taxpayer_pages.PAGE
    return [
        RouteSpec("GET", page, taxpayer_pages.messages_page, name="chat-portal"),
        RouteSpec("POST", page, taxpayer_pages.send, name="chat-portal-send"),
        RouteSpec("GET", staff_pages.INBOX, staff_pages.inbox_page, name="chat-inbox"),
        RouteSpec("GET", staff_pages.PAGE, staff_pages.conversation_page, name="chat-staff"),
        RouteSpec("POST", staff_pages.PAGE, staff_pages.send, name="chat-staff-send"),
        RouteSpec(
            "GET",
            staff_pages.PAGE + "/files/{file_id:\\d+}",
            staff_pages.attachment,
            name="chat-staff-file",
        ),
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
    if audience == "staff":  # after Manage Portals; "prefix": current on a conversation too
        return [NavItem("Messages", staff_pages.INBOX, "staff", 25, match="prefix")]
    return []


@hookimpl
@listens_to(MessagePosted, BusMessage, DocumentsSent, DocumentSigned, FileUploaded)
async def taxportal_event(event: Event) -> None:
    if isinstance(event, MessagePosted | BusMessage):
        await hub.hear(event)  # this process' open pages of the conversation
    else:
        await system_lines.heard(event)  # a job writes the line, once


@hookimpl
async def taxportal_client_marks(portal_ids: list[int]) -> dict[int, ClientMark]:
    """The taxpayer's unread messages beside their name in the File Viewer (one statement)."""
    counts = await conversation.unread_for_staff(portal_ids)
    return {
        portal_id: ClientMark(
            f"{n} unread",
            f"{staff_pages.INBOX}/{portal_id}",
            f"{n} unread message{'' if n == 1 else 's'}",
        )
        for portal_id, n in counts.items()
    }
