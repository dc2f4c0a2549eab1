"""Plumbing of the JSON API: errors as JSON, the request body, query numbers, the actor."""

from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web

from taxportal.text import whole_number
from taxportal.web.auth import ViewHandler, api_token_required
from taxportal.web.keys import API_STAFF


class ApiError(Exception):
    """An answer to the caller: HTTP status, a message, and per-field reasons."""

    def __init__(self, status: int, error: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.fields = fields or {}


def error_response(status: int, error: str, fields: dict[str, str] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": error}
    if fields:
        body["fields"] = fields
    return web.json_response(body, status=status)


def api_view(handler: ViewHandler) -> ViewHandler:
    """A bearer token is required, and every refusal is answered in JSON."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return error_response(exc.status, exc.error, exc.fields)
        except web.HTTPRequestEntityTooLarge:
            return error_response(413, "the request body is too large (1 MB at most)")

    return api_token_required(wrapper)


def api_actor(request: web.Request) -> str:
    return f"api:{request[API_STAFF].id}"


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object, or an ApiError saying what is wrong with it."""
    if request.content_type != "application/json":
        raise ApiError(415, "send the body as JSON (Content-Type: application/json)")
    raw = await request.read()
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def query_int(
    request: web.Request, name: str, default: int | None, low: int, high: int
) -> int | None:
    """A whole-number query parameter within [low, high]; ApiError names the parameter."""
    text = request.query.get(name, "").strip()
    if not text:
        return default
    value = whole_number(text, low, high)  # never int() of thousands of digits
    if value is None:
        raise ApiError(
            400,
            "invalid query parameter",
            {name: f"must be a whole number from {low} to {high}"},
        )
    return value
