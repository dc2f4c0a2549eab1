"""Benchmark: the bus between two `taxportal serve` processes, publish to delivery.

    .venv/bin/python bench/bus.py [--events 1000] [--backends postgres,redis]

For each backend: a fresh PostgreSQL database (migrated by `taxportal migrate`), then two
real server processes with the test suite's bus probe plugin (tests/bus/probe.py). Process
A publishes events (a plugin message of ids stamped with `time.time_ns()` just before
`emit`); process B's listener notes the clock when it is called. Both run on this machine,
so one clock. Two runs per backend:

- paced: 1,000 events, one per HTTP request to A, about 2 ms apart (a busy office: each
  event alone on the wire);
- burst: 1,000 events published back to back in one request (what a CSV import does).

Printed: p50, p99 and max of the latency in ms, as B saw them. Redis at 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.bus.servers import get, two_servers, wait_heard  # noqa: E402
from tests.uploads.helpers import process_env  # noqa: E402

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "taxportal_bench_bus"


async def fresh_database() -> str:
    admin = await asyncpg.connect(ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    return f"postgres://postgres@127.0.0.1:5432/{DATABASE}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(session: aiohttp.ClientSession, one, other, events: int, paced: bool) -> str:  # type: ignore[no-untyped-def]
    await get(session, f"{other.base}/bus-probe/forget")
    if paced:
        for seq in range(events):
            await get(session, f"{one.base}/bus-probe/publish?n=1&from={seq}")
            await asyncio.sleep(0.002)
    else:
        await get(session, f"{one.base}/bus-probe/publish?n={events}")
    heard = await wait_heard(session, other, events, timeout=30)
    delays = [h["delay_ns"] / 1e6 for h in heard if h["kind"] == "message"]
    if len(delays) != events:
        return f"only {len(delays)} of {events} arrived"
    return (
        f"p50 {statistics.median(delays):6.2f} ms  p99 {percentile(delays, 0.99):6.2f} ms  "
        f"max {max(delays):6.2f} ms"
    )


async def run(backend: str, events: int) -> None:
    url = await fresh_database()
    with tempfile.TemporaryDirectory() as tmp:
        config = SimpleNamespace(data_dir=Path(tmp) / "data", database_url=url)
        subprocess.run(
            [sys.executable, "-m", "taxportal.cli", "migrate"],
            env=process_env(config),
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        one, other = two_servers(config, Path(tmp), "" if backend == "postgres" else backend)
        try:
            async with aiohttp.ClientSession() as session:
                await get(session, f"{one.base}/bus-probe/publish?n=20")  # warm both up
                await wait_heard(session, other, 20)
                for paced in (True, False):
                    started = time.monotonic()
                    result = await measure(session, one, other, events, paced)
                    name = "paced" if paced else "burst"
                    took = time.monotonic() - started
                    print(f"{backend:8} {name}: {events} events {result}  ({took:.1f} s)")
        finally:
            one.stop()
            other.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--backends", default="postgres,redis")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        asyncio.run(run(backend, args.events))


if __name__ == "__main__":
    main()
