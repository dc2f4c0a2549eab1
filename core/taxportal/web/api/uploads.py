"""REST API of what the taxpayer uploaded ("My Files"): list a return's uploads, download one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from taxportal.services.uploads import intake as uploads
from taxportal.services.uploads import review as upload_review
from taxportal.web import file_download
from taxportal.web.access import api_principal
from taxportal.web.api.handling import ApiError, api_view
from taxportal.web.api.serialize import iso_time
from taxportal.web.ids import path_id
from taxportal.web.keys import CORE

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import UploadedFile

BASE = "/api/v1/returns/{return_id:\\d+}/uploads"


def routes() -> list[web.RouteDef]:
    return [
        web.get(BASE, list_uploads),
        web.get(BASE + "/{file_id:\\d+}/content", download_upload),
    ]


def upload_json(row: UploadedFile) -> dict[str, Any]:
    return {
        "id": row.id,
        "file_name": row.file_name,
        "size": row.size,
        "content_type": row.content_type,
        "sha256": row.sha256,
        "uploaded_at": iso_time(row.uploaded_at),
        "reviewed_at": iso_time(row.reviewed_at),
    }


@api_view
async def list_uploads(request: web.Request) -> web.Response:
    return_id = path_id(request, "return_id")
    try:
        view = await upload_review.client_uploads(api_principal(request), return_id)
    except upload_review.NotFound:
        raise ApiError(404, f"no return with id {return_id}") from None
    return web.json_response({"items": [upload_json(f) for f in view.files]})


@api_view
async def download_upload(request: web.Request) -> web.StreamResponse:
    return_id = path_id(request, "return_id")
    file_id = path_id(request, "file_id")
    try:
        portal_id = await upload_review.portal_id_of(return_id)
        row, chunks = await uploads.open_stream(
            request.app[CORE], api_principal(request), portal_id, file_id
        )
    except uploads.NotFound:
        raise ApiError(404, f"no upload with id {file_id} for return {return_id}") from None
    except uploads.UploadError as exc:  # no storage plugin enabled
        raise ApiError(503, exc.message) from None
    try:
        return await file_download.stream_file(
            request, chunks, row.content_type, row.file_name, size=row.size
        )
    except file_download.StorageUnavailable:
        raise ApiError(503, "the file's bytes could not be read from storage") from None
