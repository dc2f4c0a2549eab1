"""Browsers for the Spanish tests: cookies kept, and the Accept-Language a phone would send."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import CookieJar


@pytest.fixture
def browser(build_app: Any, aiohttp_client: Any):  # type: ignore[no-untyped-def]
    """Returns an async factory: a client sending `accept_language` (None: no header) on every
    request, on a fresh app or on the given one."""

    async def make(accept_language: str | None, app: Any = None):  # type: ignore[no-untyped-def]
        headers = {"Accept-Language": accept_language} if accept_language else {}
        return await aiohttp_client(
            app or await build_app(), cookie_jar=CookieJar(unsafe=True), headers=headers
        )

    return make
