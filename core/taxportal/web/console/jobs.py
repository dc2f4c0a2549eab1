"""The console's Jobs page (admins): failed and retrying jobs, and "Retry now"."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from taxportal.jobs import admin as jobs_admin
from taxportal.web.auth import actor, admin_required, client_address
from taxportal.web.ids import path_id


def routes() -> list[web.RouteDef]:
    return [
        web.get("/staff/jobs", jobs_page),
        web.post("/staff/jobs/{job_id:\\d+}/retry", retry_job),
    ]


@admin_required
async def jobs_page(request: web.Request) -> web.Response:
    done = request.query.get("done", "")
    return aiohttp_jinja2.render_template(
        "staff/jobs.html",
        request,
        {"jobs": await jobs_admin.troubled(), "done": done if done in ("retried", "gone") else ""},
    )


@admin_required
async def retry_job(request: web.Request) -> web.StreamResponse:
    retried = await jobs_admin.retry(
        path_id(request, "job_id"), actor(request), client_address(request)
    )
    raise web.HTTPSeeOther(f"/staff/jobs?done={'retried' if retried else 'gone'}")
