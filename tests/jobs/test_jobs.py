"""Durable jobs on both databases: once under racing claimers, back-off, failure, leases."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from tortoise.transactions import in_transaction

from taxportal.contracts import DeliveryError
from taxportal.jobs import schedule, store
from taxportal.jobs.worker import safe_error
from taxportal.models import Job
from tests.jobs.helpers import KIND, Recorder, RecorderPlugin

NO_WORKER = {"TAXPORTAL_JOBS__WORKER": "false"}  # the test drives its own workers


async def make_due(job_id: int) -> None:
    await Job.filter(id=job_id).update(run_after=0)


async def test_racing_claimers_run_each_job_once(started: Any) -> None:
    await started(**NO_WORKER)
    for n in range(30):
        await schedule(KIND, {"n": n})
    recorder = Recorder()
    workers = [recorder.worker(name=f"w{i}") for i in range(4)]

    ran = await asyncio.gather(*(w.run_due() for w in workers))

    assert sum(ran) == 30
    assert sorted(recorder.ran) == list(range(30))  # each once, none twice
    assert await Job.filter(kind=KIND).count() == 0  # done jobs leave no row


async def test_retries_with_back_off_then_fails(started: Any) -> None:
    await started(**NO_WORKER)
    job_id = await schedule(KIND, {"n": 1}, max_attempts=3)
    assert job_id is not None
    recorder = Recorder(failures=10, error=DeliveryError("relay refused 123-45-6789 code 482913"))
    worker = recorder.worker(max_attempts=3)

    waits = []
    for _ in range(3):
        before = store.now_ms()
        assert await worker.run_once()
        job = await Job.get(id=job_id)
        waits.append(job.run_after - before)
        await make_due(job_id)

    assert job.state == "failed" and job.attempts == 3 and job.locked_by is None
    assert "123-45-6789" not in job.last_error and "482913" not in job.last_error
    assert job.last_error.startswith("DeliveryError: relay refused")
    assert 30_000 <= waits[0] < 31_000 and 60_000 <= waits[1] < 61_000  # doubling
    assert not await worker.run_once()  # failed: nobody claims it any more
    assert recorder.ran == []


def test_other_exceptions_are_recorded_by_type_only() -> None:
    assert safe_error(ValueError("password=hunter2")) == "ValueError"


async def test_a_retry_that_succeeds_removes_the_job(started: Any) -> None:
    await started(**NO_WORKER)
    job_id = await schedule(KIND, {"n": 7})
    recorder = Recorder(failures=1)
    worker = recorder.worker()
    assert await worker.run_once()
    assert not await worker.run_once()  # waiting for its back-off
    await make_due(job_id)  # type: ignore[arg-type]
    assert await worker.run_once()
    assert recorder.ran == [7] and await Job.filter(kind=KIND).count() == 0


async def test_an_expired_lease_is_taken_by_another_worker(started: Any) -> None:
    await started(**NO_WORKER)
    job_id = await schedule(KIND, {"n": 3})
    dead = await store.claim([KIND], "dead-host:1", lease_ms=60_000)  # a process then killed
    assert dead is not None and dead.id == job_id
    recorder = Recorder()
    assert not await recorder.worker().run_once()  # its lease still holds

    await Job.filter(id=job_id).update(locked_until=store.now_ms() - 1)  # the lease ran out
    assert await recorder.worker().run_once()
    assert recorder.ran == [3]


async def test_a_lease_expiring_on_the_last_attempt_fails_the_job(started: Any) -> None:
    await started(**NO_WORKER)
    job_id = await schedule(KIND, {"n": 3}, max_attempts=1)
    assert await store.claim([KIND], "dead-host:1", lease_ms=-1)
    recorder = Recorder()
    assert not await recorder.worker().run_once()
    job = await Job.get(id=job_id)
    assert job.state == "failed" and "stopped" in job.last_error and recorder.ran == []


async def test_stopping_gives_an_unfinished_job_back(started: Any) -> None:
    await started(**NO_WORKER)
    job_id = await schedule(KIND, {"n": 5})
    running = asyncio.Event()

    class Slow(Recorder):
        async def run(self, payload: dict[str, Any]) -> None:
            running.set()
            await asyncio.sleep(60)

    worker = Slow().worker(poll_seconds=0.01, grace_seconds=0.05)
    worker.start()
    await asyncio.wait_for(running.wait(), 5)
    await worker.stop()

    job = await Job.get(id=job_id)
    assert job.state == "queued" and job.attempts == 0 and job.locked_by is None
    recorder = Recorder()
    assert await recorder.worker().run_once() and recorder.ran == [5]


async def test_a_key_keeps_one_live_job(started: Any) -> None:
    await started(**NO_WORKER)
    first = await schedule(KIND, {"n": 1}, key="portal:1")
    assert first is not None
    assert await schedule(KIND, {"n": 2}, key="portal:1") is None
    assert await schedule(KIND, {"n": 3}, key="portal:2") is not None


async def test_jobs_survive_a_restart_and_run_in_the_served_app(
    build_app: Any, client_for: Any
) -> None:
    recorder = Recorder()
    app = await build_app(RecorderPlugin(recorder), **NO_WORKER)
    client = await client_for(app)
    await schedule(KIND, {"n": 11}, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    await client.close()  # the server stops with the job still waiting
    assert recorder.ran == []

    app = await build_app(RecorderPlugin(recorder), TAXPORTAL_JOBS__POLL_SECONDS="0.02")
    client = await client_for(app)  # a new server: its worker finds the row
    for _ in range(250):
        if recorder.ran:
            break
        await asyncio.sleep(0.02)
    assert recorder.ran == [11]
    await client.close()


async def test_a_job_scheduled_in_a_rolled_back_transaction_never_exists(started: Any) -> None:
    await started(**NO_WORKER)

    class Undone(Exception):
        pass

    try:
        async with in_transaction():
            await schedule(KIND, {"n": 1})
            raise Undone
    except Undone:
        pass
    async with in_transaction():
        await schedule(KIND, {"n": 2})
    assert [j.payload["n"] for j in await Job.filter(kind=KIND)] == [2]
