"""``/healthz`` (the process answers) and ``/readyz`` (it can serve): for load balancers
and process supervisors, without authentication and without any data in the answer."""

from __future__ import annotations

from aiohttp import web

from taxportal.services import health
from taxportal.web.keys import CORE, RUNNING


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    found = await health.readiness(request.app[CORE], request.app[RUNNING].worker)
    return web.json_response(
        {"status": "ready" if found.ready else "not_ready", "checks": found.checks},
        status=200 if found.ready else 503,
    )


def routes() -> list[web.RouteDef]:
    return [web.get("/healthz", healthz), web.get("/readyz", readyz)]
