"""Benchmark: each page's server CPU per request, measured so that other load barely moves it.

    .venv/bin/python bench/page_cost.py [--databases sqlite,postgres] [--requests 1000]
    .venv/bin/python bench/page_cost.py --profile /portal/files     # cProfile of the server
    .venv/bin/python bench/page_cost.py --spy /portal/files         # py-spy, sampled
    .venv/bin/python bench/page_cost.py --compare /tmp/before       # a checkout's code in turn

bench/pages.py answers the issue's question (req/s against hello under wrk), but on a shared
machine req/s swings with the other load. This script prepares the same data (the same
seed), starts the same server process (`served_app`, uvloop) and a bare aiohttp hello, and
sends each page ``--requests`` requests over ``--connections`` keep-alive connections from
a small asyncio client. It reads the server's on-CPU time from /proc/<pid>/task/*/schedstat
(nanoseconds, every thread) before and after: CPU per request, best of ``--repeat``. "hello
share" is hello's CPU per request over the page's: what the page's req/s would be as a
share of hello's if both were CPU-bound on one core (the issue's ratio, without the noise).
Only loopback traffic; the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from client_list import free_port
from pages import HELLO, STAFF_PAGES, TAXPAYER_PAGES, fetch, prepare, wait_for


def cpu_ns(pid: int) -> int:
    """On-CPU nanoseconds of every thread of ``pid`` (aiosqlite's and asyncpg's too)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
    return total


async def get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One request on a keep-alive connection; the status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def load(port: int, path: str, cookie: str, requests: int, connections: int) -> None:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nAccept-Language: en\r\n\r\n"
    ).encode()
    left = [requests]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while left[0] > 0:
                left[0] -= 1
                status = await get(reader, writer, request)
                if status != 200:
                    raise SystemExit(f"{path}: status {status}")
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))


async def measure(
    port: int, pid: int, path: str, cookie: str, args: argparse.Namespace, repeat: int = 0
) -> list[float]:
    await load(port, path, cookie, max(100, args.requests // 5), args.connections)  # warm up
    results = []
    for _ in range(repeat or args.repeat):
        before = cpu_ns(pid)
        await load(port, path, cookie, args.requests, args.connections)
        results.append((cpu_ns(pid) - before) / args.requests / 1e6)
    return results


async def bench_database(kind: str, args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"bench-cost-{kind}-"))
    env, tokens = await prepare(kind, args.rows, work)
    hello_port, port, other_port = free_port(), free_port(), free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    hello = subprocess.Popen([sys.executable, "-c", HELLO, str(hello_port)], **quiet)  # type: ignore[call-overload]
    serve = [sys.executable, __file__, "--serve"]
    if args.profile:
        serve += ["--profile", str(work / "profile")]
    server = subprocess.Popen(serve, env={**env, "TAXPORTAL_SERVER__PORT": str(port)})
    servers = [("this tree", port, server)]
    if args.compare:  # the same data served by another checkout's code, measured in turn
        other_env = {**env, "TAXPORTAL_SERVER__PORT": str(other_port)}
        other_env["PYTHONPATH"] = str(Path(args.compare).resolve() / "core")
        other = subprocess.Popen(serve, env=other_env)
        servers.insert(0, (args.compare, other_port, other))
    try:
        wait_for(hello_port, hello)
        for _, each_port, process in servers:
            wait_for(each_port, process)
        pages = [
            (label, path, f"tp_taxpayer={tokens['tp_taxpayer']}") for label, path in TAXPAYER_PAGES
        ]
        pages += [(label, path, f"tp_staff={tokens['tp_staff']}") for label, path in STAFF_PAGES]
        if args.profile or args.spy:
            pages = [p for p in pages if p[1] in (args.profile, args.spy)]
        print(
            f"\n## {kind}: server CPU ms a request, {args.requests} requests over "
            f"{args.connections} connections, best of {args.repeat} (all runs); "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        if args.compare:  # the same page, byte for byte, or the figures compare nothing
            for label, path, cookie in pages:
                bodies = {fetch(f"http://127.0.0.1:{p}{path}", cookie) for _, p, _ in servers}
                if len(bodies) != 1:
                    raise SystemExit(f"{label}: the two servers' pages differ")
        base = await measure(hello_port, hello.pid, "/", "", args)
        print(f"{'bare aiohttp hello':<34} {min(base):>7.3f}  {fmt(base)}")
        for label, path, cookie in pages:
            runs: dict[str, list[float]] = {name: [] for name, _, _ in servers}
            for _ in range(args.repeat):  # in turn, so a change in the machine's load hits both
                for name, each_port, process in servers:
                    runs[name] += await measure(each_port, process.pid, path, cookie, args, 1)
            for name, figures in runs.items():
                share = min(base) / min(figures) * 100
                shown = f"{label} ({name})" if args.compare else label
                print(f"{shown:<34} {min(figures):>7.3f}  {fmt(figures)}  hello share {share:.1f}%")
            if args.spy:
                await spy(port, server.pid, path, cookie, args, work / "stacks.txt")
    finally:
        for process in [hello, *(p for _, _, p in servers)]:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
    if args.profile:
        stats = pstats.Stats(str(work / "profile"))
        stats.sort_stats(args.sort).print_stats(args.lines)


async def spy(
    port: int, pid: int, path: str, cookie: str, args: argparse.Namespace, out: Path
) -> None:
    """py-spy (sampling, so no profiler's own cost in the figures) on the server during a
    load: collapsed stacks in ``out``, and the share of samples under each function."""
    recorder = subprocess.Popen(
        [
            "py-spy",
            "record",
            "--pid",
            str(pid),
            "--rate",
            "2000",
            "--format",
            "raw",
            "--nonblocking",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await asyncio.sleep(1)
    await load(port, path, cookie, args.requests * 5, args.connections)
    recorder.send_signal(signal.SIGINT)
    recorder.wait(timeout=60)
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        total += int(count)
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
        own[frames[-1]] = own.get(frames[-1], 0) + int(count)
    print(f"py-spy: {total} samples; {out}")
    for title, table in (("inclusive", inclusive), ("own", own)):
        print(f"-- {title}")
        for frame, count in sorted(table.items(), key=lambda x: -x[1])[: args.lines]:
            print(f"{count / total * 100:6.1f}%  {frame[:150]}")


def fmt(runs: list[float]) -> str:
    return "[" + " ".join(f"{r:.3f}" for r in runs) + "]"


def serve(profile: str | None) -> None:
    """The server as `taxportal serve --workers 1` runs it, optionally under cProfile."""
    from aiohttp import web

    from taxportal.commands.serving import served_app, use_uvloop
    from taxportal.config import load_config

    config = load_config(None)
    use_uvloop()
    app = served_app(config, greet=False)
    profiler = cProfile.Profile() if profile else None

    async def start_profile(app: web.Application) -> None:
        if profiler is not None:
            profiler.enable()

    app.on_startup.append(start_profile)
    try:
        web.run_app(
            app, host="127.0.0.1", port=config.core.server.port, print=None, access_log=None
        )
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", help="one page's path: cProfile the server on it")
    parser.add_argument("--compare", help="another checkout (its core/): its server in turn")
    parser.add_argument("--spy", help="one page's path: py-spy the server on it")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.profile)
        return
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    for kind in args.databases.split(","):
        asyncio.run(bench_database(kind, args))


if __name__ == "__main__":
    main()
