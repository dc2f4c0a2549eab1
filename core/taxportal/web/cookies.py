"""Every cookie the app reads comes through here: a cookie is the browser's (anyone can
forge one), so a value that is not of the shape the app writes is treated as absent."""

from __future__ import annotations

import re

from aiohttp import web

# secrets.token_urlsafe(32) writes 43 of these; anything far from that was not ours
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
LANGUAGE = re.compile(r"[a-z]{2}")
NOTES = re.compile(r"[A-Za-z0-9_=-]{1,4096}")  # urlsafe base64 of a short JSON list


def cookie(request: web.Request, name: str, shape: re.Pattern[str]) -> str | None:
    """The cookie's value when it has ``shape``, else None (as if it were not sent)."""
    value = request.cookies.get(name)
    if value is None or shape.fullmatch(value) is None:
        return None
    return value


def token_cookie(request: web.Request, name: str) -> str | None:
    """A session, device or CSRF token, or None."""
    return cookie(request, name, TOKEN)
