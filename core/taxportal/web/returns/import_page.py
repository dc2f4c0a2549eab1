"""The console's CSV import: a form with a file input and an optional tax year, then the
summary and each bad row."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from typing import Any

import aiohttp_jinja2
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from taxportal.services.returns import csv_file, csv_import
from taxportal.web.auth import actor, staff_required
from taxportal.web.keys import CORE
from taxportal.web.request_text import Refused

FILE_FIELD = "file"
TAX_YEAR_FIELD = "tax_year"
CHUNK = 64 * 1024
BAD_YEAR = "The tax year must be a year such as 2025, or empty."


def routes() -> list[web.RouteDef]:
    return [
        web.get("/staff/import", import_form),
        web.post("/staff/import", import_upload),
    ]


def _render(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    values = {
        "error": "",
        "report": None,
        "filename": "",
        "tax_year": "",
        "max_mb": csv_file.MAX_BYTES >> 20,
    }
    values.update(context)
    return aiohttp_jinja2.render_template("staff/import.html", request, values, status=status)


@staff_required
async def import_form(request: web.Request) -> web.Response:
    return _render(request)


@staff_required
async def import_upload(request: web.Request) -> web.Response:
    if request.content_type != "multipart/form-data":
        return _render(request, 400, error="Choose a CSV file with the form below.")
    filename, data, year_text = "", None, ""
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                await part.release()
            elif part.name == FILE_FIELD and part.filename and data is None:
                filename = part.filename
                data = await csv_file.read_capped(_chunks(part))
            elif part.name == TAX_YEAR_FIELD:
                year_text = await _short_text(part)
            else:
                await part.release()  # other fields are skipped without being kept
    except csv_file.FileTooLarge as exc:
        return _render(request, 413, error=f"{exc}; nothing was imported", filename=filename)
    except (ValueError, LookupError, HttpProcessingError):  # a body whose parts do not parse
        raise Refused() from None
    if data is None:
        return _render(request, 400, error="Choose a CSV file to import.", tax_year=year_text)
    if year_text and not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
        return _render(request, 400, error=BAD_YEAR, filename=filename, tax_year=year_text[:8])
    tax_year = int(year_text) if year_text else None
    try:
        # Validating 10,000 rows takes seconds of CPU: keep the event loop serving others.
        parse = functools.partial(csv_import.parse, data, tax_year)
        parsed = await asyncio.get_running_loop().run_in_executor(None, parse)
    except csv_file.UnusableFile as exc:
        return _render(
            request,
            400,
            error=f"{exc}; nothing was imported",
            filename=filename,
            tax_year=year_text,
        )
    report = await csv_import.import_parsed(request.app[CORE], parsed, actor(request))
    return _render(request, report=report, filename=filename, tax_year=year_text)


async def _short_text(part: BodyPartReader, limit: int = 32) -> str:
    """A small form field, of which no more than ``limit`` bytes are kept."""
    data = b""
    while len(data) <= limit and (chunk := await part.read_chunk()):  # 8 KB at most
        data += chunk
    await part.release()
    return data[:limit].decode("utf-8", "replace").strip()


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK):
        yield chunk
