"""REST API for tax programs (filled in by the API work)."""

from aiohttp import web


def routes() -> list[web.RouteDef]:
    return []
