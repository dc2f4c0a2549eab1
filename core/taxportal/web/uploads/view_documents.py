"""View Documents: the preparer's page of one client's uploads, their downloads and review."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from taxportal.services.uploads import intake as uploads
from taxportal.services.uploads import review as upload_review
from taxportal.web import file_download
from taxportal.web.access import staff_principal
from taxportal.web.auth import staff_required
from taxportal.web.ids import parse_id, path_id
from taxportal.web.keys import CORE
from taxportal.web.request_text import read_form

BASE = "/staff/returns/{return_id:\\d+}/uploads"


def routes() -> list[web.RouteDef]:
    return [
        web.get(BASE, view_documents),
        web.get(BASE + "/all.zip", download_all),
        web.get(BASE + "/{file_id:\\d+}", download_one),
        web.post(BASE + "/reviewed", mark_reviewed),
    ]


def page_url(return_id: int) -> str:
    return f"/staff/returns/{return_id}/uploads"


@staff_required
async def view_documents(request: web.Request) -> web.Response:
    try:
        view = await upload_review.client_uploads(
            staff_principal(request), path_id(request, "return_id")
        )
    except upload_review.NotFound:
        raise web.HTTPNotFound() from None
    return aiohttp_jinja2.render_template(
        "staff/view_documents.html",
        request,
        {
            "view": view,
            "base": page_url(view.tax_return.id),
            "done": request.query.get("done", ""),
            # only a number from the query reaches the page: no words typed into a URL
            "count": count if (count := request.query.get("count", "")).isdecimal() else "",
        },
    )


@staff_required
async def download_one(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    try:
        portal_id = await upload_review.portal_id_of(path_id(request, "return_id"))
        row, chunks = await uploads.open_stream(
            core, staff_principal(request), portal_id, path_id(request, "file_id")
        )
    except uploads.NotFound:
        raise web.HTTPNotFound() from None
    except uploads.UploadError as exc:  # no storage plugin
        raise web.HTTPServiceUnavailable(text=exc.message) from None
    return await file_download.stream_file(
        request, chunks, row.content_type, row.file_name, size=row.size
    )


@staff_required
async def download_all(request: web.Request) -> web.StreamResponse:
    principal = staff_principal(request)
    try:
        view = await upload_review.client_uploads(principal, path_id(request, "return_id"))
    except upload_review.NotFound:
        raise web.HTTPNotFound() from None
    if view.portal is None or not view.files:
        raise web.HTTPSeeOther(page_url(view.tax_return.id))
    if request.app[CORE].plugins.storage is None:
        raise web.HTTPServiceUnavailable(text="File storage is not set up.")
    chunks = upload_review.zip_chunks(request.app[CORE], principal, view.portal.id, view.files)
    return await file_download.stream_file(
        request, chunks, "application/zip", upload_review.archive_name(view.tax_return)
    )


@staff_required
async def mark_reviewed(request: web.Request) -> web.StreamResponse:
    return_id = path_id(request, "return_id")
    form = await read_form(request)
    chosen: list[int] | None = None
    if form.get("scope") != "all":
        picked = {parse_id(str(v)) for v in form.getall("file", [])}
        chosen = sorted(i for i in picked if i is not None)
    try:
        changed = await upload_review.mark_reviewed(staff_principal(request), return_id, chosen)
    except upload_review.NotFound:
        raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther(URL(page_url(return_id)).with_query(done="reviewed", count=changed))
