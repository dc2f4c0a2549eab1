"""``/metrics``: off (404) until ``[metrics] token`` is set; then only for a request with
``Authorization: Bearer <token>`` (a scraper's), never for the open internet."""

from __future__ import annotations

import hmac
import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from taxportal import metrics
from taxportal.jobs import admin as jobs_admin
from taxportal.web.keys import CORE
from taxportal.web.security import Handler


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: the status a client saw (error pages included) and the whole time."""
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        metrics.REQUESTS.labels(route, request.method, str(status)).inc()
        metrics.REQUEST_SECONDS.labels(route).observe(time.perf_counter() - start)


async def metrics_page(request: web.Request) -> web.Response:
    token = request.app[CORE].config.core.metrics.token
    if token is None:
        raise web.HTTPNotFound()
    given = request.headers.get("Authorization", "")
    wanted = f"Bearer {token.get_secret_value()}"
    if not hmac.compare_digest(given.encode(), wanted.encode()):
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": "Bearer"})
    counts = await jobs_admin.counts_by_state()
    for state in ("queued", "running", "failed"):
        metrics.JOBS.labels(state).set(counts.get(state, 0))
    metrics.JOBS_RETRYING.set(counts.get("retrying", 0))
    body = generate_latest(metrics.REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def routes() -> list[web.RouteDef]:
    return [web.get("/metrics", metrics_page)]
