"""The taxpayer's "My Files": the list, the upload (streamed, one file per request from the
upload window, or a plain multipart form without JavaScript), download and remove."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from taxportal.services.uploads import intake as uploads
from taxportal.web import file_download
from taxportal.web.access import taxpayer_principal
from taxportal.web.cookies import NOTES, cookie
from taxportal.web.ids import path_id
from taxportal.web.keys import ACCOUNT, CORE, LANG
from taxportal.web.request_text import file_parts
from taxportal.web.security import is_tls
from taxportal.web.taxpayer import render_signed_in, taxpayer_required
from taxportal.web.uploads import my_files_view as view

log = logging.getLogger(__name__)
CHUNK = 64 * 1024
PAGE = view.PAGE
FILE = PAGE + "/{file_id:\\d+}"


def routes() -> list[web.RouteDef]:
    """The routes of this page."""
    return [
        web.get(PAGE, files_page),
        web.put(PAGE + "/upload", upload_one),
        web.post(PAGE + "/upload", upload_form),
        web.get(FILE, download),
        web.get(FILE + "/remove", remove_page),
        web.post(FILE + "/remove", remove),
    ]


def _portal_id(request: web.Request) -> int:
    return int(request[ACCOUNT].portal_id)  # type: ignore[attr-defined]


def _file_id(request: web.Request) -> int:
    return path_id(request, "file_id")


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@taxpayer_required
async def files_page(request: web.Request) -> web.Response:
    core, language = request.app[CORE], request[LANG]
    rows = await uploads.listed_files(taxpayer_principal(request), _portal_id(request))
    notes = view.decode_notes(cookie(request, view.NOTE_COOKIE, NOTES) or "")
    response = await render_signed_in(
        request,
        "my_files.html",
        {
            "files": [view.file_view(row, language) for row in rows],
            "notes": view.shown_notes(core.config, language, notes),
            "accept": view.picker_accept(core.config),
            "types": view.shown_types(core.config),
            "max_mb": view.max_file_mb(core.config),
            "max_bytes": int(core.config.core.uploads.max_file_mb * uploads.MB),
            "js_texts": view.js_texts(core.config, language),
        },
    )
    if notes:
        response.del_cookie(view.NOTE_COOKIE, path=PAGE)
    return response


async def _store(
    request: web.Request, name: str, chunks: AsyncIterator[bytes]
) -> tuple[dict[str, str], uploads.UploadResult | None]:
    """One file into the service; the note to show, and the result when it was kept."""
    core = request.app[CORE]
    try:
        result = await uploads.upload(
            core, taxpayer_principal(request), _portal_id(request), name, chunks
        )
    except uploads.UploadError as refusal:
        return {"kind": refusal.kind, "name": name}, None
    if result.status == "duplicate":
        return {"kind": "duplicate", "name": name, "as": result.duplicate_of}, result
    return {"kind": "stored", "name": name}, result


def sent_name(request: web.Request) -> str:
    """The file's name, percent-encoded UTF-8 in ``X-File-Name`` (kept out of the URL, so out
    of access logs); ``?name=`` still works for scripts. Undecodable: "" (refused as a name)."""
    header = request.headers.get("X-File-Name")
    if header is None:
        return request.query.get("name", "")
    try:
        return unquote(header, errors="strict")
    except UnicodeDecodeError:
        return ""


@taxpayer_required
async def upload_one(request: web.Request) -> web.Response:
    """The upload window: the raw body is the file; answers JSON."""
    core, language = request.app[CORE], request[LANG]
    note, result = await _store(request, sent_name(request), request.content.iter_chunked(CHUNK))
    kind = note["kind"]
    body: dict[str, Any] = {
        "status": kind if result is not None else "refused",
        "kind": kind,
        "message": view.message(core.config, language, kind, note.get("as", "")),
    }
    if result is not None:
        body["file"] = view.file_view(result.file, language)
        return web.json_response(body, status=201 if kind == "stored" else 200)
    return web.json_response(body, status=view.STATUS.get(kind, 503))


async def _part_chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK):
        yield chunk


@taxpayer_required
async def upload_form(request: web.Request) -> web.Response:
    """Without JavaScript: the picked files of the plain form, then back to the list."""
    notes = [
        (await _store(request, view.form_file_name(part.filename or ""), _part_chunks(part)))[0]
        async for part in file_parts(request)
    ]
    raise _back(request, notes or [{"kind": "nothing"}])


def _back(request: web.Request, notes: list[dict[str, str]]) -> web.HTTPSeeOther:
    response = web.HTTPSeeOther(PAGE)
    view.set_note_cookie(response, notes, is_tls(request))
    return response


@taxpayer_required
async def download(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    try:
        row, chunks = await uploads.open_stream(
            core, taxpayer_principal(request), _portal_id(request), _file_id(request)
        )
    except uploads.NotFound:
        raise web.HTTPNotFound() from None
    except uploads.UploadError:
        raise web.HTTPServiceUnavailable() from None
    return await file_download.stream_file(
        request, chunks, row.content_type, row.file_name, size=int(row.size)
    )


@taxpayer_required
async def remove_page(request: web.Request) -> web.Response:
    """The confirmation, for a browser without JavaScript (the list opens a dialog)."""
    try:
        row = await uploads.get_file(
            taxpayer_principal(request), _portal_id(request), _file_id(request)
        )
    except uploads.NotFound:
        raise web.HTTPNotFound() from None
    return await render_signed_in(
        request, "my_files_remove.html", {"file": view.file_view(row, request[LANG])}
    )


@taxpayer_required
async def remove(request: web.Request) -> web.Response:
    core, language = request.app[CORE], request[LANG]
    principal, portal_id = taxpayer_principal(request), _portal_id(request)
    try:
        row = await uploads.get_file(principal, portal_id, _file_id(request))
        await uploads.remove(core, principal, portal_id, row.id)
    except uploads.NotFound:
        raise web.HTTPNotFound() from None
    except uploads.UploadError as refusal:
        note = {"kind": refusal.kind, "name": row.file_name}
    else:
        note = {"kind": "removed", "name": row.file_name}
    if not _wants_json(request):
        raise _back(request, [note])
    body = {"status": note["kind"], "message": view.message(core.config, language, note["kind"])}
    return web.json_response(body, status=200 if note["kind"] == "removed" else 409)
