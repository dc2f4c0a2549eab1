"""Two real processes claim from one table: every job runs exactly once."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from taxportal.jobs import schedule
from taxportal.models import ActivityEntry
from tests.jobs.helpers import KIND

ROOT = Path(__file__).resolve().parents[2]
JOBS = 60


async def test_two_processes_run_each_job_once(started: Any, database: str) -> None:
    core = await started(TAXPORTAL_JOBS__WORKER="false")
    for n in range(JOBS):
        await schedule(KIND, {"n": n})
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.jobs.claimer",
            str(core.config.data_dir),
            database,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for process in processes:  # both have the database open before either claims
        assert process.stdout is not None
        assert (await asyncio.wait_for(process.stdout.readline(), 30)).strip() == b"ready"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    outputs = [await asyncio.wait_for(p.communicate(), 60) for p in processes]
    ran = [int(out.strip() or 0) for out, _ in outputs]

    assert all(p.returncode == 0 for p in processes)
    assert sum(ran) == JOBS
    subjects = await ActivityEntry.filter(action="test_job_ran").values_list("subject", flat=True)
    counts = Counter(subjects)
    assert sorted(counts) == sorted(f"n:{n}" for n in range(JOBS))
    assert set(counts.values()) == {1}  # none twice
