"""The worker of one server process, started and stopped with the app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from taxportal.context import Core
from taxportal.jobs.worker import Worker


@contextlib.asynccontextmanager
async def running(core: Core) -> AsyncIterator[Worker | None]:
    """Run a worker while the app serves (unless ``[jobs] worker = false``); at shutdown
    the job in hand finishes or gives its lease back."""
    settings = core.config.core.jobs
    if not settings.worker:
        yield None
        return
    worker = Worker(core.jobs, settings.poll_seconds, settings.lease_seconds)
    worker.start()
    try:
        yield worker
    finally:
        await worker.stop()
