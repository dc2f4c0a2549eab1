"""Benchmark, in process: what the chat plugin's unread marks add to a File Viewer page.

    .venv/bin/python bench/client_list.py --chat 2 --databases sqlite   # makes the data
    .venv/bin/python bench/client_marks.py /tmp/bench-sqlite-XXXX/data [--rounds 400]
    TAXPORTAL_DATABASE__URL=postgres://postgres@127.0.0.1:5432/taxportal_bench \\
        .venv/bin/python bench/client_marks.py /tmp/bench-postgres-XXXX/data

Opens the database client_list.py seeded (10,000 returns, each with a portal, every 2nd
with a conversation of 4 unread messages) and times, one after the other in each round,
the File Viewer's page (``client_list.page``: first page, a search, page 200) and then
``plugins.client_marks`` for that page's portals (chat's one statement). Wall-clock in
one process, so the load of the machine shows in both alike; p50 / p95 in ms; and this
process' CPU per call (``time.process_time``, the SQLite thread included; PostgreSQL's
own work is not in it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from taxportal.config import load_config
from taxportal.runtime import build_core, started
from taxportal.services.returns import client_list

PAGES = {"first page": {}, "search 'garcia'": {"search": "garcia"}, "page 200": {"page": 200}}


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"{statistics.median(ordered) * 1000:6.2f} / {p95 * 1000:6.2f}"


async def main(data_dir: str, rounds: int) -> None:
    env = {k: v for k, v in os.environ.items() if k.startswith("TAXPORTAL_")}
    env["TAXPORTAL_SERVER__DATA_DIR"] = data_dir
    config = load_config(path=None, env=env)
    async with started(build_core(config)) as core:
        print(
            f"{'page':<18} {'page p50/p95 ms':>18} {'marks p50/p95 ms':>18} "
            f"{'CPU ms page / marks':>20} marks shown"
        )
        for label, options in PAGES.items():
            pages: list[float] = []
            marks: list[float] = []
            shown = 0
            cpu = [0.0, 0.0]
            for _ in range(rounds):
                start, cpu_start = time.perf_counter(), time.process_time()
                result = await client_list.page(**options)  # type: ignore[arg-type]
                middle, cpu_middle = time.perf_counter(), time.process_time()
                ids = [row.portal.id for row in result.rows if row.portal is not None]
                found = await core.plugins.client_marks(ids)
                end, cpu_end = time.perf_counter(), time.process_time()
                cpu[0] += cpu_middle - cpu_start
                cpu[1] += cpu_end - cpu_middle
                pages.append(middle - start)
                marks.append(end - middle)
                shown = len(found)
            per_call = f"{cpu[0] / rounds * 1000:.2f} / {cpu[1] / rounds * 1000:.2f}"
            row = f"{summary(pages):>18} {summary(marks):>18} {per_call:>20}"
            print(f"{label:<18} {row} {shown:>4}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    asyncio.run(main(args.data_dir, args.rounds))
