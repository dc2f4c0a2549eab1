"""``schedule``: put work on the job table (inside the caller's transaction, if any)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from taxportal.jobs import store


async def schedule(
    kind: str,
    payload: dict[str, Any] | None = None,
    run_after: dt.datetime | None = None,
    *,
    key: str | None = None,
    max_attempts: int = 8,
    every: dt.timedelta | None = None,
) -> int | None:
    """Queue a job of ``kind`` to run once at ``run_after`` (now when None) or later.

    ``payload`` must be JSON with ids, never a secret (no code, token, password or SSN):
    the handler reads what it needs from the database when it runs. Called inside a
    transaction, the job exists only if that transaction commits.

    :param key: at most one live job per key: scheduling again while one waits (or has
        failed) does nothing and returns ``None``.
    :param every: a periodic job: after each success it runs again this long after.
    :return: the job's id, or ``None`` when ``key`` was already taken.
    """
    when = store.now_ms() if run_after is None else int(run_after.timestamp() * 1000)
    every_ms = None if every is None else int(every.total_seconds() * 1000)
    return await store.insert(kind, payload or {}, when, key, max_attempts, every_ms)
