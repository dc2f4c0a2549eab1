"""The API's JSON body reader: size, nesting depth and control characters are checked before
anything deeper reads the body, so no body can exhaust the parser or reach the database."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from aiohttp import web

from taxportal.services.return_fields import shown_name
from taxportal.text import CONTROL_CHARACTERS
from taxportal.web.api_io import ApiError

MAX_BYTES = 1024 * 1024  # the app's client_max_size too
MAX_DEPTH = 16  # the deepest body the API takes is 4 ({"documents": [{"signers": [...]}]})
_ESCAPE = re.compile(r"\\.", re.S)  # inside a string; outside one it is invalid JSON anyway
_STRING = re.compile(r'"[^"]*"')  # after escapes are gone a string has no quote inside
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
CONTROL_REASON = "must not contain control characters (such as NUL, tabs or line breaks)"


def nesting_depth(text: str) -> int:
    """How deep [ and { nest outside strings, in linear time and without recursion.

    Exact up to the first byte that makes the text invalid JSON, which is as far as the
    parser itself gets, so a text that passes here cannot make the parser recurse deeper."""
    bare = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    return max(accumulate(map(_STEP.__getitem__, bare)), default=0)


def parse_json(raw: bytes) -> Any:
    """Bytes -> JSON value, or an ApiError(400/413) saying why not; never a RecursionError."""
    if len(raw) > MAX_BYTES:
        raise ApiError(413, "the request body is too large (1 MB at most)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "the body is not valid JSON (it must be UTF-8)") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise ApiError(400, f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError, or a number of over 4,300 digits
        raise ApiError(400, "the body is not valid JSON") from None


def control_character_fields(value: Any, at: str = "") -> list[str]:
    """Where strings (keys or values) hold control characters, as field paths in the same
    masked form as every other field name; the values themselves are never repeated."""
    found: list[str] = []
    if isinstance(value, str):
        return [at or "body"] if CONTROL_CHARACTERS.search(value) else []
    if isinstance(value, dict):
        for position, (key, item) in enumerate(value.items()):
            name = f"{at}.{shown_name(key)}" if at else shown_name(key)
            if CONTROL_CHARACTERS.search(key):
                found.append(f"{at}.#{position + 1}" if at else f"#{position + 1}")
            found += control_character_fields(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += control_character_fields(item, f"{at}.{index}" if at else str(index))
    return found


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object whose strings are plain text, or an ApiError saying why not."""
    if request.content_type != "application/json":
        raise ApiError(415, "send the body as JSON (Content-Type: application/json)")
    if (request.content_length or 0) > MAX_BYTES:
        raise ApiError(413, "the request body is too large (1 MB at most)")
    body = parse_json(await request.read())
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    bad = control_character_fields(body)
    if bad:
        fields = dict.fromkeys(bad, CONTROL_REASON)
        raise ApiError(422, "a field contains control characters", fields)
    return body
