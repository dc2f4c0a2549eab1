"""A WebSocket per open conversation page: checked at the upgrade (session, Origin),
re-checked as it runs, closed when the session ends or the server stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aiohttp import WSMsgType, web

from taxportal.api import close_at_shutdown, same_origin, session_still_live
from taxportal_chat.hub import HUB, Listener
from taxportal_chat.live_routes import settings_of
from taxportal_chat.sides import Seat, portal_exists, staff_seat, taxpayer_seat

MAX_FRAME = 4096  # the page sends only small frames ("ping"); a bigger one closes the socket
SIGNED_OUT = 4401  # the session ended: the page stops, it does not reconnect
# aiohttp closes with 1009 past MAX_FRAME, and close_at_shutdown with 1001


async def serve(request: web.Request, seat: Seat | None) -> web.StreamResponse:
    if seat is None:
        raise web.HTTPForbidden(text="Sign in first.")
    if seat.side == "staff" and not await portal_exists(seat.portal_id):
        raise web.HTTPNotFound()
    if not same_origin(request):
        raise web.HTTPForbidden(text="This socket is for the portal's own pages.")
    socket = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=25.0)
    if not socket.can_prepare(request).ok:
        raise web.HTTPBadRequest(text="Expected a WebSocket upgrade.")
    await socket.prepare(request)
    close_at_shutdown(request, socket)
    listener = Listener(seat.side, seat.language, socket, seat.portal_id)
    HUB.add(listener)
    watch = asyncio.create_task(_recheck(request, seat, socket))
    try:
        async for frame in socket:
            if frame.type == WSMsgType.TEXT and not await _still_in(request, seat, socket):
                break
    finally:
        HUB.remove(listener)
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
    return socket


async def _still_in(request: web.Request, seat: Seat, socket: web.WebSocketResponse) -> bool:
    if await session_still_live(request, seat.side):
        return True
    await socket.close(code=SIGNED_OUT, message=b"signed out")
    return False


async def _recheck(request: web.Request, seat: Seat, socket: web.WebSocketResponse) -> None:
    every = settings_of(request).recheck_seconds
    while not socket.closed:
        await asyncio.sleep(every)
        if not await _still_in(request, seat, socket):
            return


def _handler(seat_of: Callable[[web.Request], Seat | None]):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, seat_of(request))

    return handler


taxpayer_socket = _handler(taxpayer_seat)
staff_socket = _handler(staff_seat)
