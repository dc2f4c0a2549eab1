"""Long-lived requests (WebSockets): the Origin check at the upgrade, the session re-check
as they run, and closing them all when the server shuts down."""

from __future__ import annotations

import weakref
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, web

from taxportal.services.accounts import sessions
from taxportal.web.auth import SESSION_COOKIE, TAXPAYER_COOKIE
from taxportal.web.cookies import token_cookie
from taxportal.web.keys import CORE
from taxportal.web.security import is_tls

OPEN_SOCKETS = web.AppKey("open_sockets", weakref.WeakSet)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: web.Request) -> bool:
    """The browser's ``Origin`` is this site: the configured base URL's, or the request's own
    scheme and host. A WebSocket upgrade is a GET, so the CSRF check never saw it."""
    given = request.headers.get("Origin", "").strip().lower()
    if not given or given == "null":
        return False
    own = f"{'https' if is_tls(request) else 'http'}://{request.host}".lower()
    return given in (_origin(request.app[CORE].config.base_url), own)


async def session_live(request: web.Request, kind: str) -> bool:
    """The ``kind`` session the request came with is still live (not signed out, idle or
    too old, its staff member active, both factors passed); read only, never extended."""
    cookie = SESSION_COOKIE if kind == "staff" else TAXPAYER_COOKIE
    token = token_cookie(request, cookie)
    return bool(token) and await sessions.still_live(request.app[CORE], token, kind)


def keep_until_shutdown(app: web.Application, socket: web.WebSocketResponse) -> None:
    app[OPEN_SOCKETS].add(socket)


async def close_open_sockets(app: web.Application) -> None:
    """``on_shutdown``: close every socket (1001, going away) so no handler holds the exit."""
    for socket in list(app[OPEN_SOCKETS]):
        if not socket.closed:
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
