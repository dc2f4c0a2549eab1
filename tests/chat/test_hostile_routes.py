"""The hostile-input sweep of tests/hostile over chat's own routes, with the plugin on
(the whole-app sweep runs without it): bad ids, NUL and control characters, non-UTF-8,
long text, forged cookies, bad CSRF, as anyone, a taxpayer and the firm. No 5xx."""

from __future__ import annotations

from typing import Any

from aiohttp import DummyCookieJar

from tests.chat.conftest import PLUGINS
from tests.hostile.routes import read_names, routes_of
from tests.hostile.test_every_route import Run, _renew, hit_route, identities


async def test_no_chat_route_answers_a_5xx_to_hostile_input(
    build_app: Any, aiohttp_client: Any
) -> None:
    app = await build_app(
        TAXPORTAL_THROTTLE__PER_ADDRESS="10000", TAXPORTAL_PLUGINS__ENABLED=PLUGINS
    )
    client = await aiohttp_client(app, cookie_jar=DummyCookieJar())
    people = await identities(client, aiohttp_client)
    names = [*read_names(), "body", "before", "q", "page"]
    run = Run(client)
    chat_routes = [r for r in routes_of(app) if "/messages" in r.formatter]
    assert len(chat_routes) >= 5
    for route in chat_routes:
        for who in people:
            await _renew(client, who)
            await hit_route(run, who, route, names)
    assert run.sent > 100
    assert run.failures == [], "\n".join(run.failures[:60])
