"""Generic error pages with a reference id; the details go to the log only (the API answers
in JSON instead: web/api/errors.py)."""

from __future__ import annotations

import logging
import secrets

import aiohttp_jinja2
from aiohttp import web

from taxportal.log_setup import REQUEST_ID
from taxportal.web.rendering import page_context
from taxportal.web.security import Handler

log = logging.getLogger("taxportal.web")


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    # every log line of this request (the access log's too) carries it; a 500 shows it
    REQUEST_ID.set(secrets.token_hex(4))
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return await _page(request, exc.status, exc.reason, exc.text if exc.status != 404 else "")
    except Exception:  # anything else is a bug: log it, show a reference
        reference = REQUEST_ID.get()
        log.exception("unhandled error ref=%s on %s %s", reference, request.method, request.path)
        return await _page(request, 500, "Something went wrong", "", reference)


async def _page(
    request: web.Request, status: int, title: str, detail: str, reference: str = ""
) -> web.Response:
    # The detail is a message we wrote ourselves (never an exception's text).
    if detail and detail.startswith(f"{status}:"):
        detail = ""
    # Errors raised before the jinja middleware ran lack its page context: add it here.
    context = await page_context(request)
    context.update(status=status, title=title, detail=detail, reference=reference)
    return aiohttp_jinja2.render_template("error.html", request, context, status=status)
