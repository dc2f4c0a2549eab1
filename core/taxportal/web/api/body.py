"""The API's JSON body reader: size, nesting depth and control characters are checked before
anything deeper reads the body, so no body can exhaust the parser or reach the database."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from aiohttp import web

from taxportal.services.returns.fields import shown_name
from taxportal.text import CONTROL_CHARACTERS
from taxportal.web.api.handling import ApiError

MAX_BYTES = 1024 * 1024  # the app's client_max_size too
MAX_DEPTH = 16  # the deepest body the API takes is 4 ({"documents": [{"signers": [...]}]})
# Braces count as brackets: a mismatch ([}) is where the parser stops, no deeper.
_AS_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
TOO_DEEP = f"the body is not valid JSON or nests deeper than {MAX_DEPTH} levels"
_LINE_BREAKS = dict.fromkeys(map(ord, "\n\r\t"))  # dropped before a multiline field's check
CONTROL_REASON = "must not contain control characters (such as NUL, tabs or line breaks)"


def _outside_strings(raw: bytes) -> bytes:
    """The JSON text without its strings (a quote or a backslash is never part of a
    multi-byte UTF-8 character, so this works on the raw bytes)."""
    # Escaped backslashes first, then escaped quotes: left to right, as JSON reads them.
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    return b"".join(unescaped.split(b'"')[::2])  # odd pieces are inside quotes


def nests_too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether [ and { nest deeper than `limit` outside strings, or never close: linear
    time, no recursion, without parsing.

    Each pass drops the innermost pairs, one level, so a text whose brackets are gone after
    `limit` passes is nested at most that deep all through, including up to the first byte
    that makes it invalid JSON, which is as far as the parser gets."""
    if raw.count(b"[") + raw.count(b"{") <= limit:  # most bodies: too few to nest deeper
        return False
    brackets = _outside_strings(raw).translate(_AS_BRACKETS, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        shorter = brackets.replace(b"[]", b"")  # one pass: the innermost pairs only
        if len(shorter) == len(brackets):  # no pair left, yet brackets: they never close
            return True
        brackets = shorter
    return bool(brackets)


def parse_json(raw: bytes) -> Any:
    """Bytes -> JSON value, or an ApiError(400/413) saying why not; never a RecursionError."""
    if len(raw) > MAX_BYTES:
        raise ApiError(413, "the request body is too large (1 MB at most)")
    if nests_too_deep(raw):
        raise ApiError(400, TOO_DEEP)
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, "the body is not valid JSON (it must be UTF-8)") from None
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


def _multiline_ok(body: dict[str, Any], field: str, multiline: Collection[str]) -> bool:
    """A top-level text field allowed line breaks and tabs (a message), and no other."""
    value = body.get(field)
    return (
        field in multiline
        and isinstance(value, str)
        and not CONTROL_CHARACTERS.search(value.translate(_LINE_BREAKS))
    )


async def json_object(request: web.Request, multiline: Collection[str] = ()) -> dict[str, Any]:
    """The body as a JSON object whose strings are plain text, or an ApiError saying why not;
    the top-level fields named in ``multiline`` may also hold line feeds, returns and tabs."""
    if request.content_type != "application/json":
        raise ApiError(415, "send the body as JSON (Content-Type: application/json)")
    if (request.content_length or 0) > MAX_BYTES:
        raise ApiError(413, "the request body is too large (1 MB at most)")
    body = parse_json(await request.read())
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    bad = [f for f in control_character_fields(body) if not _multiline_ok(body, f, multiline)]
    if bad:
        fields = dict.fromkeys(bad, CONTROL_REASON)
        raise ApiError(422, "a field contains control characters", fields)
    return body
