"""REST API downloads of the Signed Document Manager: a document as sent, and its signed PDF
(the newest sealed copy, or one by id). Thin over ``services/documents/download.py``."""

from __future__ import annotations

from aiohttp import web

from taxportal.services.documents import download
from taxportal.web import file_download
from taxportal.web.access import api_principal
from taxportal.web.api.handling import ApiError, api_view
from taxportal.web.ids import path_id
from taxportal.web.keys import CORE

DOCUMENT = "/api/v1/returns/{return_id:\\d+}/documents/{document_id:\\d+}"


def routes() -> list[web.RouteDef]:
    return [
        web.get(DOCUMENT + "/content", download_as_sent),
        web.get(DOCUMENT + "/signed", download_signed),
        web.get(DOCUMENT + "/signed/{copy_id:\\d+}", download_signed),
    ]


async def _stream(request: web.Request, got: download.Download, name: str) -> web.StreamResponse:
    try:
        return await file_download.stream_file(
            request, got.chunks, "application/pdf", name, size=got.size
        )
    except file_download.StorageUnavailable:
        raise ApiError(503, "the file's bytes could not be read from storage") from None


@api_view
async def download_as_sent(request: web.Request) -> web.StreamResponse:
    return_id, document_id = path_id(request, "return_id"), path_id(request, "document_id")
    try:
        got = await download.as_sent(
            request.app[CORE],
            api_principal(request),
            document_id,
            return_id=return_id,
            user_agent=request.headers.get("User-Agent", ""),
        )
    except download.NotFound:
        raise ApiError(404, f"no document with id {document_id} on return {return_id}") from None
    except download.Unavailable:
        raise ApiError(503, "File storage is not set up: no storage plugin is enabled.") from None
    return await _stream(request, got, got.file_name)


@api_view
async def download_signed(request: web.Request) -> web.StreamResponse:
    return_id, document_id = path_id(request, "return_id"), path_id(request, "document_id")
    copy_id = path_id(request, "copy_id") if "copy_id" in request.match_info else None
    try:
        got = await download.signed_copy(
            request.app[CORE],
            api_principal(request),
            document_id,
            copy_id,
            return_id=return_id,
            user_agent=request.headers.get("User-Agent", ""),
        )
    except download.NotFound:
        which = f"copy {copy_id}" if copy_id is not None else "copy"
        raise ApiError(
            404, f"no signed {which} of document {document_id} on return {return_id}"
        ) from None
    except download.Unavailable:
        raise ApiError(503, "File storage is not set up: no storage plugin is enabled.") from None
    return await _stream(request, got, file_download.signed_name(got.file_name))
