"""An example plugin, written only against ``taxportal.api``: a "Receipts" item in the
portal's sidebar and a guarded page in the portal frame (its own Spanish catalog); it hears
``PortalCreated`` and ``FileUploaded``, and for each upload schedules a job that tells the
taxpayer "We received your file" (their channel, their language) and records it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from taxportal.api import (
    Core,
    FileUploaded,
    JobHandler,
    NavItem,
    Notice,
    PortalCreated,
    RouteSpec,
    Translations,
    current_taxpayer,
    hookimpl,
    listens_to,
    notify_taxpayer,
    portal_of,
    record_activity,
    render_in_portal_frame,
    schedule,
    taxpayer_required,
)

HERE = Path(__file__).resolve().parent
PAGE = "/portal/receipts"
JOB_KIND = "example.file_received"
catalog = Translations(HERE / "locale")


@taxpayer_required
async def receipts_page(request: web.Request) -> web.Response:
    taxpayer = current_taxpayer(request)
    assert taxpayer is not None
    portal = await portal_of(request)
    return await render_in_portal_frame(
        request, "example/receipts.html", {"first_name": portal.first_name}, catalog=catalog
    )


def received_notice(language: str, channel: str) -> Notice:
    text = catalog.gettext(language, "We received your file. Your preparer will review it.")
    return Notice(text=text, subject=catalog.gettext(language, "We received your file"))


async def acknowledge(core: Core, payload: dict[str, Any]) -> None:
    """The job: tell the taxpayer, then record it (a repeat only sends the notice again)."""
    portal_id = int(payload["portal_id"])
    receipt = await notify_taxpayer(core, portal_id, received_notice, purpose="example_received")
    await record_activity(
        "example_file_acknowledged",
        subject=f"portal:{portal_id}",
        file_id=int(payload["file_id"]),
        notifier=receipt.notifier,
    )


class ExamplePlugin:
    @hookimpl
    def taxportal_routes(self, config):  # type: ignore[no-untyped-def]
        return [RouteSpec("GET", PAGE, receipts_page)]

    @hookimpl
    def taxportal_template_dirs(self):  # type: ignore[no-untyped-def]
        return [str(HERE / "templates")]

    @hookimpl
    def taxportal_nav_items(self, audience, config):  # type: ignore[no-untyped-def]
        if audience == "taxpayer":
            return [NavItem("Receipts", PAGE, "taxpayer", 45, catalog=catalog)]
        return []

    @hookimpl
    def taxportal_job_handlers(self, config, core):  # type: ignore[no-untyped-def]
        async def run(payload: dict[str, Any]) -> None:
            await acknowledge(core, payload)

        return [JobHandler(JOB_KIND, run, max_attempts=5)]

    @hookimpl
    @listens_to(FileUploaded, PortalCreated)
    async def taxportal_event(self, event):  # type: ignore[no-untyped-def]
        if isinstance(event, FileUploaded):
            payload = {"portal_id": event.portal_id, "file_id": event.file_id}
            await schedule(JOB_KIND, payload, key=f"{JOB_KIND}:{event.file_id}")
        else:
            await record_activity("example_portal_seen", subject=f"portal:{event.portal_id}")
