"""The console's CSV import: a form with a file input, then the summary and each bad row."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp_jinja2
from aiohttp import BodyPartReader, web

from taxportal.services import csv_import
from taxportal.web.auth import actor, staff_required
from taxportal.web.keys import CORE
from taxportal.web.request_text import file_parts

FILE_FIELD = "file"
CHUNK = 64 * 1024


def routes() -> list[web.RouteDef]:
    return [
        web.get("/staff/import", import_form),
        web.post("/staff/import", import_upload),
    ]


def _render(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    values = {"error": "", "report": None, "filename": "", "max_mb": csv_import.MAX_BYTES >> 20}
    values.update(context)
    return aiohttp_jinja2.render_template("staff/import.html", request, values, status=status)


@staff_required
async def import_form(request: web.Request) -> web.Response:
    return _render(request)


@staff_required
async def import_upload(request: web.Request) -> web.Response:
    if request.content_type != "multipart/form-data":
        return _render(request, 400, error="Choose a CSV file with the form below.")
    upload = await _file_part(request)
    if upload is None:
        return _render(request, 400, error="Choose a CSV file to import.")
    filename = upload.filename or "the file"
    try:
        data = await csv_import.read_capped(_chunks(upload))
        # Validating 10,000 rows takes seconds of CPU: keep the event loop serving others.
        parsed = await asyncio.get_running_loop().run_in_executor(None, csv_import.parse, data)
    except csv_import.UnusableFile as exc:
        status = 413 if isinstance(exc, csv_import.FileTooLarge) else 400
        return _render(request, status, error=f"{exc}; nothing was imported", filename=filename)
    report = await csv_import.import_parsed(request.app[CORE], parsed, actor(request))
    return _render(request, report=report, filename=filename)


async def _file_part(request: web.Request) -> BodyPartReader | None:
    """The file field of the form; other fields are skipped without being kept."""
    async for part in file_parts(request, FILE_FIELD):
        return part
    return None


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK):
        yield chunk
