"""A recording job handler for the jobs tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from taxportal import hookimpl
from taxportal.contracts import DeliveryError, JobHandler
from taxportal.jobs import JobHandlers, Worker

KIND = "test_job"


@dataclass
class Recorder:
    """Runs ``test_job`` jobs: records each payload's ``n``; fails ``failures`` times first."""

    failures: int = 0
    error: Exception = field(default_factory=lambda: DeliveryError("SMTP server is down"))
    ran: list[int] = field(default_factory=list)
    attempts: int = 0

    async def run(self, payload: dict[str, Any]) -> None:
        self.attempts += 1
        await asyncio.sleep(0)  # let concurrent claimers interleave
        if self.attempts <= self.failures:
            raise self.error
        self.ran.append(int(payload["n"]))

    def handler(self, max_attempts: int = 8) -> JobHandler:
        return JobHandler(KIND, self.run, max_attempts=max_attempts)

    def worker(self, max_attempts: int = 8, **options: Any) -> Worker:
        return Worker(JobHandlers([self.handler(max_attempts)]), **options)


@dataclass
class RecorderPlugin:
    """Registers the recorder's handler through the hook, as a plugin does."""

    recorder: Recorder

    @hookimpl
    def taxportal_job_handlers(self, config: Any) -> list[JobHandler]:
        return [self.recorder.handler()]
