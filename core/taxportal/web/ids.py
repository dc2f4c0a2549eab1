"""Row ids in URLs: every route variable named ``*_id`` is a database id, checked here once.

A value the database could not hold (over 2^31-1, the limit of PostgreSQL's ``integer``),
zero, or anything but ASCII digits is a 404 before any handler or query runs, on every
route, the plugins' too. Handlers then read the number with ``path_id``.
"""

from __future__ import annotations

from aiohttp import web

from taxportal.limits import MAX_ID
from taxportal.text import whole_number
from taxportal.web.api.handling import error_response
from taxportal.web.security import Handler

ID_SUFFIX = "_id"
# what the API calls each id in its 404 ("no return with id 12")
API_NAMES = {"return_id": "return", "file_id": "upload", "document_id": "document"}


class NoSuchId(web.HTTPNotFound):
    """A route's id that no row can have."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__()
        self.name = name
        self.value = value


def parse_id(text: str) -> int | None:
    """``text`` as a row id (1 to MAX_ID, ASCII digits only), else None."""
    return whole_number(text, 1, MAX_ID)


def path_id(request: web.Request, name: str) -> int:
    """The route's id ``name`` as a number; a value no row can have is a 404."""
    text = request.match_info[name]
    value = parse_id(text)
    if value is None:
        raise NoSuchId(name, text)
    return value


@web.middleware
async def check_path_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    for name in request.match_info:
        if name.endswith(ID_SUFFIX):
            try:
                path_id(request, name)
            except NoSuchId as missing:
                if request.path.startswith("/api/"):
                    return _api_not_found(missing)
                raise
    return await handler(request)


def _api_not_found(missing: NoSuchId) -> web.Response:
    """The API's own error shape; the id is repeated only when it is a plain number."""
    what = API_NAMES.get(missing.name, missing.name.removesuffix(ID_SUFFIX))
    if missing.value.isascii() and missing.value.isdigit() and len(missing.value) <= 20:
        return error_response(404, f"no {what} with id {missing.value}")
    return error_response(404, f"no {what} with that id")
