"""The job rows: every state change is one conditional statement, so any number of workers
in any number of processes and hosts can share the table.

Times are epoch milliseconds (plain integers compare the same on both databases). A claim
is ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (claimers skip each other's rows instead of
waiting) and one conditional UPDATE on SQLite (whose write lock serialises claimers).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from taxportal.sql import Sql

# Every statement here is written from constants and placeholders; values are bound.
# ruff: noqa: S608

QUEUED, RUNNING, FAILED = "queued", "running", "failed"
BACKOFF_BASE_MS = 30_000  # first retry after 30 s, then 60 s, 2 min, ...
BACKOFF_CAP_MS = 3_600_000  # never wait more than an hour between attempts
ERROR_LENGTH = 300


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    every_ms: int | None


def backoff_ms(attempts: int) -> int:
    """Wait before attempt ``attempts + 1``: doubling from 30 s, capped at an hour."""
    return int(min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** max(0, attempts - 1)))


async def insert(
    kind: str,
    payload: dict[str, Any],
    run_after_ms: int,
    key: str | None,
    max_attempts: int,
    every_ms: int | None,
) -> int | None:
    """A new queued job; with a ``key`` already held by a live job, nothing (None)."""
    sql = Sql()
    at = now_ms()
    values = sql.params(
        [
            kind,
            key,
            json.dumps(payload),
            QUEUED,
            run_after_ms,
            0,
            max_attempts,
            every_ms,
            "",
            at,
            at,
        ]
    )
    rows = await sql.rows(
        "INSERT INTO job (kind, key, payload, state, run_after, attempts, max_attempts, every_ms,"
        f" last_error, created_at, updated_at) VALUES ({values})"
        " ON CONFLICT (key) DO NOTHING RETURNING id"
    )
    return int(rows[0]["id"]) if rows else None


def _claimable(sql: Sql, kinds: Sequence[str], at: int) -> str:
    """Due and queued, or running under a lease that expired (its process died)."""
    # placeholders are made in the order they appear (SQLite's are positional)
    listed = sql.params(kinds)
    now = sql.param(at)
    expired = sql.param(at)
    return (
        f"kind IN ({listed}) AND attempts < max_attempts AND ("
        f"(state = '{QUEUED}' AND run_after <= {now})"
        f" OR (state = '{RUNNING}' AND locked_until < {expired}))"
    )


async def claim(kinds: Sequence[str], worker: str, lease_ms: int) -> ClaimedJob | None:
    """Take one due job of these kinds for ``worker`` (attempts + 1), or None."""
    if not kinds:
        return None
    sql = Sql()
    at = now_ms()
    owner, until = sql.param(worker), sql.param(at + lease_ms)
    touched = sql.param(at)
    condition = _claimable(sql, kinds, at)
    lock = " FOR UPDATE SKIP LOCKED" if sql.numbered else ""
    rows = await sql.rows(
        f"UPDATE job SET state = '{RUNNING}', locked_by = {owner}, locked_until = {until},"
        f" attempts = attempts + 1, updated_at = {touched}"
        f" WHERE id = (SELECT id FROM job WHERE {condition} ORDER BY run_after, id LIMIT 1{lock})"
        " RETURNING id, kind, payload, attempts, max_attempts, every_ms"
    )
    if not rows:
        return None
    row = rows[0]
    payload = row["payload"]
    return ClaimedJob(
        id=int(row["id"]),
        kind=row["kind"],
        payload=json.loads(payload) if isinstance(payload, str | bytes) else dict(payload or {}),
        attempts=int(row["attempts"]),
        max_attempts=int(row["max_attempts"]),
        every_ms=row["every_ms"],
    )


async def extend(job_id: int, worker: str, lease_ms: int) -> bool:
    """Keep the lease of a job still running (False: it was taken away)."""
    sql = Sql()
    until, job, owner = sql.param(now_ms() + lease_ms), sql.param(job_id), sql.param(worker)
    rows = await sql.rows(
        f"UPDATE job SET locked_until = {until} WHERE id = {job} AND locked_by = {owner}"
        f" AND state = '{RUNNING}' RETURNING id"
    )
    return bool(rows)


async def succeeded(job: ClaimedJob, worker: str) -> None:
    """Done: a one-off job's row goes; a periodic one waits for its next run."""
    sql = Sql()
    if job.every_ms is None:
        ident, owner = sql.param(job.id), sql.param(worker)
        await sql.rows(f"DELETE FROM job WHERE id = {ident} AND locked_by = {owner}")
        return
    at = now_ms()
    next_run, touched = sql.param(at + job.every_ms), sql.param(at)
    ident, owner = sql.param(job.id), sql.param(worker)
    await sql.rows(
        f"UPDATE job SET state = '{QUEUED}', run_after = {next_run}, attempts = 0,"
        f" last_error = '', locked_by = NULL, locked_until = NULL, updated_at = {touched}"
        f" WHERE id = {ident} AND locked_by = {owner}"
    )


async def failed(job: ClaimedJob, worker: str, error: str) -> str:
    """Attempt failed: queued again after a back-off, or 'failed' once attempts run out
    (a periodic job never runs out: it keeps retrying, at most an hour apart)."""
    at = now_ms()
    final = job.every_ms is None and job.attempts >= job.max_attempts
    state = FAILED if final else QUEUED
    sql = Sql()
    wait = backoff_ms(job.attempts)
    if job.every_ms is not None:  # a periodic job retries no later than its next round
        wait = min(wait, job.every_ms)
    values = [state, at + wait, error[:ERROR_LENGTH], at]
    new_state, run_after, reason, touched = (sql.param(v) for v in values)
    # a periodic job's attempts restart below the limit so it stays claimable
    attempts = "0" if job.every_ms is not None and job.attempts >= job.max_attempts else "attempts"
    ident, owner = sql.param(job.id), sql.param(worker)
    await sql.rows(
        f"UPDATE job SET state = {new_state}, run_after = {run_after}, last_error = {reason},"
        f" attempts = {attempts}, locked_by = NULL, locked_until = NULL, updated_at = {touched}"
        f" WHERE id = {ident} AND locked_by = {owner}"
    )
    return state


async def release(job: ClaimedJob, worker: str) -> None:
    """Give an unfinished job back at shutdown: due again at once, this attempt not counted."""
    sql = Sql()
    at, ident, owner = sql.param(now_ms()), sql.param(job.id), sql.param(worker)
    await sql.rows(
        f"UPDATE job SET state = '{QUEUED}', attempts = attempts - 1, locked_by = NULL,"
        f" locked_until = NULL, updated_at = {at} WHERE id = {ident} AND locked_by = {owner}"
    )


async def fail_abandoned() -> int:
    """A job whose lease expired with no attempt left (its process died every time) fails."""
    sql = Sql()
    again, at = sql.param(now_ms()), sql.param(now_ms())  # in the order they appear
    rows = await sql.rows(
        f"UPDATE job SET state = '{FAILED}', last_error = 'the worker stopped during the job',"
        f" locked_by = NULL, locked_until = NULL, updated_at = {again}"
        f" WHERE state = '{RUNNING}' AND locked_until < {at} AND attempts >= max_attempts"
        " AND every_ms IS NULL RETURNING id"
    )
    return len(rows)


async def retry_now(job_id: int) -> bool:
    """An admin's "Retry now": a failed or waiting job is due at once with fresh attempts."""
    sql = Sql()
    at, touched, ident = sql.param(now_ms()), sql.param(now_ms()), sql.param(job_id)
    rows = await sql.rows(
        f"UPDATE job SET state = '{QUEUED}', run_after = {at}, attempts = 0,"
        f" updated_at = {touched} WHERE id = {ident} AND state IN ('{QUEUED}', '{FAILED}')"
        " RETURNING id"
    )
    return bool(rows)
