"""Rate limits kept in the database, so every app process sees the same counts."""

from __future__ import annotations

import datetime as dt

from taxportal.context import Core
from taxportal.models import ThrottleHit


class Throttled(Exception):
    """Too many attempts from this address: try again later."""


async def hit(core: Core, action: str, address: str) -> None:
    """Count one attempt of ``action`` from ``address``; raise Throttled past the limit."""
    settings = core.config.core.throttle
    key = f"{action}:ip:{address}"[:128]
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=settings.window_minutes)
    recent = await ThrottleHit.filter(key=key, at__gte=since).count()
    if recent >= settings.per_address:
        raise Throttled(action)
    await ThrottleHit.create(key=key)


async def purge_older_than(window: dt.timedelta) -> int:
    return await ThrottleHit.filter(at__lt=dt.datetime.now(dt.UTC) - window).delete()
