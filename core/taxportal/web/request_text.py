"""The one place request text is checked before anything reads it: the path, the query, the
headers the app reads, and form fields (``read_form``). A NUL or other control character,
or bytes that are not UTF-8, is a 400 page (JSON under /api/), never a query that fails in
the database. Form fields may hold tab and line breaks (a text area's); nothing else may.
Cookies are read through ``web/cookies.py``; JSON bodies through the API's reader."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

from taxportal.i18n import N_
from taxportal.text import has_control
from taxportal.web.api.handling import error_response
from taxportal.web.security import Handler

REFUSED = N_(
    "This request holds characters that cannot be used (control characters or text that is "
    "not UTF-8). Go back, remove them and try again."
)
FORM = "application/x-www-form-urlencoded"
# the headers the app reads (the Cookie header is read cookie by cookie, in web/cookies.py)
READ_HEADERS = (
    "Accept",
    "Accept-Language",
    "Authorization",
    "Content-Type",
    "X-CSRF-Token",
    "X-File-Name",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
)


class Refused(web.HTTPBadRequest):
    def __init__(self) -> None:
        super().__init__(text=REFUSED)


def _line_clean(request: web.Request) -> bool:
    """Path, query (names and values) and read headers: no control character at all."""
    texts = [request.path, *request.query.keys(), *request.query.values()]
    texts += [value for name in READ_HEADERS for value in request.headers.getall(name, [])]
    return not any(has_control(text) for text in texts)


def _query_fields(request: web.Request) -> dict[str, str]:
    """The API names each query parameter it refused, as its own checks do (a name that is
    itself refused is named by its position)."""
    fields = {}
    for position, (name, value) in enumerate(request.query.items(), start=1):
        if has_control(name):
            fields[f"#{position}"] = "must not contain control characters"
        elif has_control(value):
            fields[name] = "must not contain control characters"
    return fields


@web.middleware
async def refuse_control_text(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Before the sessions and every handler; an url-encoded body is read (and kept by
    aiohttp for the handler) here, so its fields are checked even where nobody reads them."""
    try:
        if not _line_clean(request):
            raise Refused()
        if request.content_type == FORM:
            await read_form(request)
    except Refused:
        if request.path.startswith("/api/"):
            return error_response(
                400,
                "the request holds control characters or non-UTF-8 text",
                _query_fields(request),
            )
        raise
    return await handler(request)


async def file_parts(
    request: web.Request, field: str | None = None
) -> AsyncIterator[BodyPartReader]:
    """The file parts of a multipart body (of form field ``field``, or any), read one at a
    time for streaming; other parts are skipped. A body that is not multipart has none; a
    malformed one (no or a bad boundary, part headers that do not parse) is refused. The
    file names are the services' to judge (``uploads_stream.clean_name``)."""
    if request.content_type != "multipart/form-data":
        return
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            wanted = field is None or part.name == field
            if isinstance(part, BodyPartReader) and wanted and part.filename:
                yield part
            else:
                await part.release()
    except (ValueError, LookupError, HttpProcessingError):
        raise Refused() from None


async def read_form(request: web.Request) -> MultiDictProxy[str | web.FileField]:
    """The posted form (url-encoded or multipart), every field name, value and file name
    checked; a body that does not decode (not UTF-8, an unknown charset) is refused too."""
    try:
        form = await request.post()
    except (UnicodeDecodeError, LookupError, ValueError, HttpProcessingError):
        raise Refused() from None  # also a multipart body whose part headers do not parse
    for name, value in form.items():
        text = value.filename if isinstance(value, web.FileField) else value
        if has_control(name) or has_control(text, lines_allowed=True):
            raise Refused()
    return form
