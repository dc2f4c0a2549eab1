"""Two real `taxportal serve` processes on one database: an event published in one reaches
the listener in the other, over PostgreSQL LISTEN/NOTIFY, Redis pub/sub, or SQLite polling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.bus.servers import get, two_servers, wait_heard


@pytest.mark.parametrize("backend", ["", "redis"])
async def test_an_event_crosses_to_the_other_process(
    started: Any, database: str, tmp_path: Path, backend: str
) -> None:
    if database.startswith("sqlite"):
        pytest.skip("SQLite's processes poll: the test below")
    core = await started()
    await _crosses(core, tmp_path, backend)


async def test_sqlite_processes_poll_the_event_log(
    started: Any, database: str, tmp_path: Path
) -> None:
    if not database.startswith("sqlite"):
        pytest.skip("PostgreSQL notifies: the test above")
    core = await started()
    await _crosses(core, tmp_path, "poll")


async def _crosses(core: Any, tmp_path: Path, backend: str) -> None:
    one, other = two_servers(core.config, tmp_path, backend)
    try:
        async with aiohttp.ClientSession() as session:
            await get(session, f"{one.base}/bus-probe/publish?n=3")
            await get(session, f"{one.base}/bus-probe/publish?n=2&from=10&kind=file")
            there = await wait_heard(session, other, 5)
            here = await get(session, f"{one.base}/bus-probe/seen")
    finally:
        one.stop()
        other.stop()
    expected = [("message", 0), ("message", 1), ("message", 2), ("file", 10), ("file", 11)]
    assert [(h["kind"], h["seq"]) for h in there] == expected  # once each, in order
    assert [(h["kind"], h["seq"]) for h in here] == expected  # and here, once, not echoed
    # carried by the notification (or the 200 ms poll), not the 5 s safety read
    assert all(h["delay_ns"] < 2e9 for h in there if h["kind"] == "message")
