"""One claiming process for the two-process test: ``python -m tests.jobs.claimer DATA_DIR URL``.

Prints "ready" once the database is open, waits for a line on stdin, then runs every due
``test_job`` (each recorded as an activity row) and exits."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from taxportal.config import load_config
from taxportal.contracts import JobHandler
from taxportal.jobs import JobHandlers, Worker
from taxportal.runtime import build_core, started
from taxportal.services import activity
from tests.jobs.helpers import KIND
from tests.support import OPTIONAL_PLUGINS_OFF


async def record(payload: dict[str, Any]) -> None:
    await asyncio.sleep(0.005)  # a little work, so the other process claims meanwhile
    await activity.record("test_job_ran", subject=f"n:{payload['n']}")


async def main(data_dir: str, url: str) -> None:
    config = load_config(
        path=None,
        env={
            "TAXPORTAL_SERVER__DATA_DIR": data_dir,
            "TAXPORTAL_DATABASE__URL": url,
            "TAXPORTAL_PLUGINS__DISABLED": OPTIONAL_PLUGINS_OFF,  # as the test migrated it
        },
    )
    async with started(build_core(config)):
        worker = Worker(JobHandlers([JobHandler(KIND, record)]))
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        print(await worker.run_due(limit=10_000), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
