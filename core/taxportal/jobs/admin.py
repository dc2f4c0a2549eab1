"""What the console's Jobs page shows and does: jobs that failed or are being retried."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.functions import Count

from taxportal.jobs import store
from taxportal.models import Job
from taxportal.services import activity

PAGE = 200  # the page shows the most recent ones; a longer list would say nothing more


@dataclass(frozen=True)
class TroubledJob:
    id: int
    kind: str
    state: str  # "failed" or "retrying"
    attempts: int
    max_attempts: int
    last_error: str
    updated_at: dt.datetime
    next_run: dt.datetime | None  # when it is tried again; None once failed


def _time(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


async def troubled() -> list[TroubledJob]:
    """Failed jobs, and waiting jobs whose last attempt failed, the latest first."""
    rows = (
        await Job.filter(Q(state=store.FAILED) | Q(state=store.QUEUED, attempts__gt=0))
        .exclude(last_error="")
        .order_by("-updated_at", "-id")
        .limit(PAGE)
    )
    return [
        TroubledJob(
            id=row.id,
            kind=row.kind,
            state="failed" if row.state == store.FAILED else "retrying",
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            last_error=row.last_error,
            updated_at=_time(row.updated_at),
            next_run=None if row.state == store.FAILED else _time(row.run_after),
        )
        for row in rows
    ]


async def retry(job_id: int, actor: str, address: str) -> bool:
    """Retry now: due at once with its attempts counted from zero; False when there is
    no such waiting or failed job (it ran meanwhile, or is running)."""
    done = await store.retry_now(job_id)
    if done:
        await activity.record("job_retried", actor=actor, subject=f"job:{job_id}", address=address)
    return done


async def counts_by_state() -> dict[str, int]:
    """How many jobs are queued, running and failed, and how many queued ones are being
    retried (``/metrics``): two counting statements."""
    rows = await Job.annotate(n=Count("id")).group_by("state").values("state", "n")
    counts = {row["state"]: int(row["n"]) for row in rows}
    counts["retrying"] = await Job.filter(state=store.QUEUED, attempts__gt=0).count()
    return counts
