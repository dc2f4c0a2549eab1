"""The REST API for tax programs: a client's messages (paged by id) and posting one as the
firm, under the core's API tokens; described in ``openapi.json`` (merged into the core's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web

from taxportal.api import (
    ApiError,
    NoSuchReturn,
    RouteSpec,
    api_principal,
    api_staff,
    api_token_required,
    core_of,
    plugin_settings,
    portal_of_return,
    read_json_object,
    record_activity,
)
from taxportal_chat import conversation
from taxportal_chat.conversation import Author, RateLimited
from taxportal_chat.models import ChatMessage
from taxportal_chat.settings import SECTION, ChatSettings
from taxportal_chat.text import MessageRefused

PATH = "/api/v1/returns/{return_id:\\d+}/messages"
DOCUMENT = Path(__file__).resolve().parent / "openapi.json"
MAX_LIMIT = 200
_REASONS = {  # a refused text, in the API's words (English, as the rest of the API)
    "empty": "must not be empty",
    "control": "must not contain control characters but line feeds and tabs",
}


def routes() -> list[RouteSpec]:
    return [
        RouteSpec("GET", PATH, list_messages, name="chat-api-list"),
        RouteSpec("POST", PATH, post_message, name="chat-api-post"),
    ]


def document() -> dict[str, Any]:
    return json.loads(DOCUMENT.read_text())


def message_json(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "author": message.author,
        "author_name": message.author_name,
        "text": message.body,
        "file": {"id": message.file_id, "name": message.file_name} if message.file_id else None,
        "created_at": message.created_at.isoformat(timespec="seconds"),
    }


def _query_id(request: web.Request, name: str, low: int, high: int) -> int | None:
    text = request.query.get(name, "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and low <= int(text) <= high):
        raise ApiError(
            400, "invalid query parameter", {name: f"must be a whole number from {low} to {high}"}
        )
    return int(text)


async def _portal(request: web.Request) -> tuple[int, int | None]:
    return_id = int(request.match_info["return_id"])  # the core 404s an id no row can have
    try:
        return return_id, await portal_of_return(return_id)
    except NoSuchReturn:
        raise ApiError(404, f"no return with id {return_id}") from None


@api_token_required
async def list_messages(request: web.Request) -> web.Response:
    settings = plugin_settings(core_of(request).config, SECTION, ChatSettings)
    after = _query_id(request, "after", 0, conversation.MAX_ID)
    before = _query_id(request, "before", 1, conversation.MAX_ID)
    limit = _query_id(request, "limit", 1, MAX_LIMIT) or settings.page_size
    _, portal_id = await _portal(request)
    if portal_id is None:  # no portal yet: no conversation either
        return web.json_response({"items": [], "taxpayer_read_id": 0, "staff_read_id": 0})
    if after is not None and before is not None:
        messages = await conversation.between(portal_id, after, before, limit)
    elif after is not None:
        messages = await conversation.after(portal_id, after, limit)
    else:
        messages = await conversation.latest(portal_id, limit, before)
    read = await conversation.positions(portal_id)
    await record_activity(
        "chat_messages_listed", principal=api_principal(request), subject=f"portal:{portal_id}"
    )
    return web.json_response(
        {
            "items": [message_json(m) for m in messages],
            "taxpayer_read_id": read.taxpayer_read_id,
            "staff_read_id": read.staff_read_id,
        }
    )


@api_token_required
async def post_message(request: web.Request) -> web.Response:
    body = await read_json_object(request, multiline=("text",))
    extra = sorted(set(body) - {"text"})
    if extra:
        raise ApiError(422, "the message is not valid", dict.fromkeys(extra, "unknown field"))
    text = body.get("text")
    if not isinstance(text, str):
        raise ApiError(422, "the message is not valid", {"text": "required, a string"})
    return_id, portal_id = await _portal(request)
    if portal_id is None:
        raise ApiError(409, f"return {return_id} has no portal yet: send the portal link first")
    core = core_of(request)
    settings = plugin_settings(core.config, SECTION, ChatSettings)
    staff = api_staff(request)
    author = Author("staff", staff.staff_id, staff.name or staff.email)
    try:
        message = await conversation.post(core, settings, portal_id, author, text)
    except MessageRefused as refused:
        reason = _REASONS.get(refused.reason, f"must be {refused.limit} characters at most")
        raise ApiError(422, "the message is not valid", {"text": reason}) from None
    except RateLimited:
        raise ApiError(429, "too many messages this minute: wait a minute") from None
    await record_activity(
        "chat_message_posted",
        principal=api_principal(request),
        subject=f"portal:{portal_id}",
        message_id=message.id,
    )
    location = f"/api/v1/returns/{return_id}/messages?after={message.id - 1}&limit=1"
    return web.json_response(
        {"message": message_json(message)}, status=201, headers={"Location": location}
    )
