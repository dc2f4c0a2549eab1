"""Plumbing of the JSON API: the error an answer carries, the token, query values, the actor."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from taxportal.text import has_control, whole_number
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
    """A bearer token is required; refusals (ApiError) are answered in JSON by api_errors."""
    return api_token_required(handler)


def api_actor(request: web.Request) -> str:
    return f"api:{request[API_STAFF].id}"


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


def query_text(request: web.Request, name: str, max_length: int) -> str:
    """A text query parameter of at most max_length characters and no control characters."""
    text = request.query.get(name, "")
    if len(text) > max_length:
        raise ApiError(
            400, "invalid query parameter", {name: f"must be {max_length} characters at most"}
        )
    if has_control(text):
        raise ApiError(
            400, "invalid query parameter", {name: "must not contain control characters"}
        )
    return text
