"""Two real processes append to one document's chain at once: one contiguous, valid chain."""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from taxportal.services.signing import records

ROOT = Path(__file__).resolve().parents[2]
EACH = 30
TOTAL = 1 + 2 * EACH + 10  # the first, both processes', this one's


async def test_two_processes_append_to_one_chain(started: Any, database: str) -> None:
    core = await started(TAXPORTAL_JOBS__WORKER="false")
    await records.append(1, "sent", role="preparer", actor="p@firm.test", ip="", user_agent="")
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.signing_records.appender",
            str(core.config.data_dir),
            database,
            "1",
            str(EACH),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for process in processes:  # both have the database open before either appends
        assert process.stdout is not None
        assert (await asyncio.wait_for(process.stdout.readline(), 30)).strip() == b"ready"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    await asyncio.gather(  # and this process too, meanwhile
        *(
            records.append(1, "viewed", role="", actor="here", ip="", user_agent="")
            for _ in range(10)
        )
    )
    for process in processes:
        await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0

    events = await records.events_of(1)
    assert [e.seq for e in events] == list(range(1, TOTAL + 1))
    writers = Counter(e.actor for e in events)
    assert sorted(writers.values()) == [1, 10, EACH, EACH]
    # the writers took turns: neither process wrote all its events in one block
    runs = sum(1 for a, b in itertools.pairwise(events) if a.actor != b.actor)
    assert runs > 3
    report = await records.verify()
    assert (report.documents, report.events, report.intact) == (1, TOTAL, True)
