"""The live script's HTTP side, for both sides: the feed (catch up after an id, and the
polling where a socket cannot connect) and the read mark."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from taxportal.api import (
    core_of,
    plugin_settings,
    record_activity,
    staff_required,
    taxpayer_required,
)
from taxportal_chat import conversation
from taxportal_chat.settings import SECTION, ChatSettings
from taxportal_chat.sides import Seat, portal_exists, staff_seat, taxpayer_seat
from taxportal_chat.views import message_view

MAX_READ_BODY = 1024  # {"up_to": <id>} and nothing more


def settings_of(request: web.Request) -> ChatSettings:
    return plugin_settings(core_of(request).config, SECTION, ChatSettings)


def id_of(raw: object) -> int | None:
    """A message id as the script sends it (a number or its digits), else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 <= raw <= conversation.MAX_ID else None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


async def feed(request: web.Request, seat: Seat) -> web.Response:
    """``?after=N``: the messages past N (at most a page; ``more`` says there are others)
    and both sides' read positions."""
    after = id_of(request.query.get("after", "0"))
    if after is None:
        return web.json_response({"error": "after must be a message id"}, status=400)
    settings = settings_of(request)
    messages = await conversation.after(seat.portal_id, after, settings.page_size)
    read = await conversation.positions(seat.portal_id)
    return web.json_response(
        {
            "messages": [message_view(m, seat.side, read, seat.language) for m in messages],
            "more": len(messages) == settings.page_size,
            "read": {"taxpayer": read.taxpayer_read_id, "staff": read.staff_read_id},
        }
    )


async def read(request: web.Request, seat: Seat) -> web.Response:
    """``{"up_to": id}``: the side has seen the conversation up to that message."""
    if (request.content_length or 0) > MAX_READ_BODY:
        return web.json_response({"error": "too large"}, status=413)
    raw = await request.read()  # bounded by the app's client_max_size when chunked
    if len(raw) > MAX_READ_BODY:
        return web.json_response({"error": "too large"}, status=413)
    try:
        body = json.loads(raw or b"null")
    except (ValueError, RecursionError):
        body = None
    up_to = id_of(body.get("up_to")) if isinstance(body, dict) else None
    if not up_to:
        return web.json_response({"error": "up_to must be a message id"}, status=400)
    moved = await conversation.mark_read(core_of(request), seat.portal_id, seat.side, up_to)
    if moved:
        await record_activity(
            "chat_read", principal=seat.principal, subject=f"portal:{seat.portal_id}"
        )
    return web.json_response({"moved": moved})


Handler = Callable[[web.Request, Seat], Awaitable[web.StreamResponse]]


def for_taxpayer(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @taxpayer_required
    async def wrapper(request: web.Request) -> web.StreamResponse:
        seat = taxpayer_seat(request)
        assert seat is not None  # the guard let the request in
        return await handler(request, seat)

    return wrapper


def for_staff(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @staff_required
    async def wrapper(request: web.Request) -> web.StreamResponse:
        seat = staff_seat(request)
        assert seat is not None
        if not await portal_exists(seat.portal_id):
            raise web.HTTPNotFound()
        return await handler(request, seat)

    return wrapper
