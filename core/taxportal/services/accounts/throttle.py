"""Rate limits kept in the database, so every app process sees the same counts.

Each key ("taxpayer_sign_in:ip:1.2.3.4") has one row per time window; an attempt bumps it
with one conditional upsert that only counts while the row is below the limit, so requests
in flight, in one process or several, cannot all pass: at most ``per_address`` attempts of
an action from an address get through in a window. Windows are fixed (aligned on the
epoch), so across a window's edge two windows' worth can pass in one window's time.
"""

from __future__ import annotations

import time

from taxportal.context import Core
from taxportal.sql import Sql


class Throttled(Exception):
    """Too many attempts from this address: try again later."""


def _window_start(window_minutes: float, now: float) -> int:
    window_ms = max(1, int(window_minutes * 60_000))
    return int(now * 1000) // window_ms * window_ms


async def hit(core: Core, action: str, address: str, now: float | None = None) -> None:
    """Count one attempt of ``action`` from ``address``; raise Throttled past the limit."""
    settings = core.config.core.throttle
    start = _window_start(settings.window_minutes, time.time() if now is None else now)
    sql = Sql()
    rows = await sql.rows(
        'INSERT INTO throttle_window ("key", window_start, hits) '  # noqa: S608
        f"VALUES ({sql.param(f'{action}:ip:{address}'[:128])}, {sql.param(start)}, 1) "
        'ON CONFLICT ("key", window_start) DO UPDATE SET hits = throttle_window.hits + 1 '
        f"WHERE throttle_window.hits < {sql.param(settings.per_address)} RETURNING hits"
    )
    if not rows:
        raise Throttled(action)
    if rows[0]["hits"] == 1:  # the first attempt of a new window: earlier windows are over
        await sql.rows(f"DELETE FROM throttle_window WHERE window_start < {sql.param(start)}")  # noqa: S608


async def take(key: str, limit: int, per_seconds: float, now: float | None = None) -> bool:
    """Count one use of ``key`` in its current window of ``per_seconds``: ``False`` once
    ``limit`` uses are already counted there (one conditional upsert, as ``hit``)."""
    window_ms = max(1, int(per_seconds * 1000))
    start = int((time.time() if now is None else now) * 1000) // window_ms * window_ms
    key = key[:128]
    sql = Sql()
    rows = await sql.rows(
        'INSERT INTO throttle_window ("key", window_start, hits) '  # noqa: S608
        f"VALUES ({sql.param(key)}, {sql.param(start)}, 1) "
        'ON CONFLICT ("key", window_start) DO UPDATE SET hits = throttle_window.hits + 1 '
        f"WHERE throttle_window.hits < {sql.param(limit)} RETURNING hits"
    )
    if rows and rows[0]["hits"] == 1:  # only this key's older windows: others' are longer
        await sql.rows(
            'DELETE FROM throttle_window WHERE "key" = '  # noqa: S608
            f"{sql.param(key)} AND window_start < {sql.param(start)}"
        )
    return bool(rows)
