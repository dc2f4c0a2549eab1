"""The loop each server process runs: claim a due job, run its handler, record the outcome.

Claims are atomic (``store.claim``), so any number of workers share one table without
running a job twice. A lease (``locked_until``) is kept fresh while the handler runs; if
the process dies, the lease expires and another worker takes the job. At shutdown the
running job gets a grace period to finish, else it is cancelled and its lease given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import socket
import time

from taxportal.contracts import DeliveryError
from taxportal.jobs import store
from taxportal.jobs.registry import JobHandlers
from taxportal.services.returns.fields import redact_ssn_like

log = logging.getLogger(__name__)
_LONG_NUMBER = re.compile(r"\d{6,}")  # a security code or an SSN without dashes
SWEEP_SECONDS = 30.0  # how often abandoned jobs are looked for (a write, even when idle)


def worker_name() -> str:
    """Host, process and a random part: unique across hosts, readable in the table."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def safe_error(exc: BaseException) -> str:
    """What the admin page may show: a delivery failure's reason (written for preparers),
    masked; any other exception only by its type, as its text might quote a secret."""
    if isinstance(exc, DeliveryError):
        text = _LONG_NUMBER.sub("***", redact_ssn_like(str(exc)))
        return f"{type(exc).__name__}: {text}"[: store.ERROR_LENGTH]
    return type(exc).__name__


class Worker:
    """Runs jobs of the registered kinds, one at a time, until ``stop``."""

    def __init__(
        self,
        handlers: JobHandlers,
        poll_seconds: float = 2.0,
        lease_seconds: float = 300.0,
        grace_seconds: float = 10.0,
        name: str | None = None,
    ) -> None:
        self.handlers = handlers
        self.poll_seconds = poll_seconds
        self.lease_ms = int(lease_seconds * 1000)
        self.grace_seconds = grace_seconds
        self.name = name or worker_name()
        self._stopping = asyncio.Event()
        self._swept_at = -SWEEP_SECONDS
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> bool:
        """Claim and run one due job; False when none was due."""
        if time.monotonic() - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = time.monotonic()
            await store.fail_abandoned()
        job = await store.claim(self.handlers.kinds(), self.name, self.lease_ms)
        if job is None:
            return False
        await self._run(job)
        return True

    async def run_due(self, limit: int = 100) -> int:
        """Run due jobs until none is left (or ``limit``); how many ran."""
        ran = 0
        while ran < limit and await self.run_once():
            ran += 1
        return ran

    async def _run(self, job: store.ClaimedJob) -> None:
        handler = self.handlers.get(job.kind)
        assert handler is not None  # only registered kinds are claimed
        keeper = asyncio.create_task(self._keep_lease(job))
        try:
            await handler.run(job.payload)
        except asyncio.CancelledError:
            await asyncio.shield(store.release(job, self.name))
            raise
        except Exception as exc:  # noqa: BLE001  # any failure is the job's: retried later
            state = await store.failed(job, self.name, safe_error(exc))
            log.warning(
                "job %s (%s) attempt %s failed (%s): %s",
                job.id,
                job.kind,
                job.attempts,
                state,
                safe_error(exc),
            )
        else:
            await store.succeeded(job, self.name)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    async def _keep_lease(self, job: store.ClaimedJob) -> None:
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            if not await store.extend(job.id, self.name, self.lease_ms):
                return

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                if await self.run_once():
                    continue  # more may be due: no pause between jobs
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup: try again after the pause
                log.exception("the job worker could not claim a job")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)

    @property
    def alive(self) -> bool:
        """Started and its loop still running (a crash of the loop would end it)."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"jobs:{self.name}")

    async def stop(self) -> None:
        """Let the running job finish within the grace period, else cancel it (its lease is
        given back, so another process runs it again)."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=self.grace_seconds)
        if not done:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
