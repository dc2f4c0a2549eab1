"""Every answer under /api/ is JSON in the documented error shape, whatever refused the request:
a handler (ApiError), the router (404, 405), the body reader (413) or a bug (500)."""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from taxportal.web.api.handling import ApiError, error_response
from taxportal.web.security import Handler

log = logging.getLogger("taxportal.web")
API_PREFIX = "/api/"
# Our own words for what aiohttp raises: its texts may quote the request (a path, a size).
MESSAGES = {
    404: "no such API resource (see /api/openapi.json)",
    405: "this method is not allowed here (see the Allow header)",
    413: "the request body is too large (1 MB at most)",
}
# Headers of a raised HTTP error worth keeping on the JSON answer (405's Allow, 401's challenge).
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(API_PREFIX):
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.error, exc.fields)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(exc.status, MESSAGES.get(exc.status, exc.reason))
        for name in KEPT_HEADERS:
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    except Exception:  # anything else is a bug: log it, answer with a reference
        reference = secrets.token_hex(4)
        log.exception("unhandled error ref=%s on %s %s", reference, request.method, request.path)
        return web.json_response({"error": "internal error", "reference": reference}, status=500)
