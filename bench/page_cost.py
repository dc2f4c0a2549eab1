"""Benchmark: each page's server CPU per request, measured so that other load barely moves it.

    .venv/bin/python bench/page_cost.py [--databases sqlite,postgres] [--requests 1000]
    .venv/bin/python bench/page_cost.py --profile /portal/files     # cProfile of the server
    .venv/bin/python bench/page_cost.py --spy /portal/files         # py-spy, sampled
    .venv/bin/python bench/page_cost.py --compare /tmp/before       # a checkout's code in turn
    .venv/bin/python bench/page_cost.py --floor    # Home without the framework's pipeline

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
    hello_port, port, other_port, floor_port = (free_port() for _ in range(4))
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
    floor = None
    if args.floor:
        floor_env = {**env, "TAXPORTAL_SERVER__PORT": str(floor_port)}
        floor = subprocess.Popen([sys.executable, __file__, "--serve-floor"], env=floor_env)
    try:
        wait_for(hello_port, hello)
        for _, each_port, process in servers:
            wait_for(each_port, process)
        if floor is not None:
            wait_for(floor_port, floor)
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
            if floor is not None and path == "/portal/":
                same = fetch(f"http://127.0.0.1:{floor_port}{path}", cookie) == fetch(
                    f"http://127.0.0.1:{port}{path}", cookie
                )
                figures = await measure(floor_port, floor.pid, path, cookie, args)
                share = min(base) / min(figures) * 100
                label = "  its floor" + ("" if same else " (NOT the same bytes)")
                print(f"{label:<34} {min(figures):>7.3f}  {fmt(figures)}  hello share {share:.1f}%")
            if args.spy:
                await spy(port, server.pid, path, cookie, args, work / "stacks.txt")
    finally:
        for process in [hello, *(p for _, _, p in servers), *([floor] if floor else [])]:
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


def serve_floor() -> None:
    """Home's floor: the same two statements with the raw driver (sqlite3's read-only
    connection, or one held asyncpg connection taken in turn: no pool, no tortoise) and the
    same template rendered by the same Jinja environment, from a bare aiohttp handler (no
    middleware, no session checks, no guard). What the page costs with the framework's
    pipeline taken away; its bytes are checked against the real page's."""
    import sqlite3

    import asyncpg
    from aiohttp import web
    from tortoise import Tortoise

    from taxportal import i18n
    from taxportal.commands.serving import use_uvloop
    from taxportal.config import load_config
    from taxportal.crypto import token_digest
    from taxportal.runtime import build_core, database_config
    from taxportal.services.accounts import sessions
    from taxportal.services.documents import sent
    from taxportal.services.uploads import intake
    from taxportal.sql import Sql
    from taxportal.web.rendering import PORTAL_TEMPLATES, setup_templates
    from taxportal.web.security import CSRF_FIELD

    config = load_config(None)
    core = build_core(config)
    app = web.Application()
    setup_templates(app, core.plugins.template_dirs())
    app.middlewares.clear()  # aiohttp_jinja2's context processor: the page's work, not the floor's
    nav = core.plugins.nav_items("taxpayer")
    postgres = not config.database_url.startswith("sqlite")
    db: dict[str, object] = {}
    lock = asyncio.Lock()

    async def start(app: web.Application) -> None:
        await Tortoise.init(config=database_config(core))
        sql = Sql()  # the statements' text, written once with the server's own functions
        db["session"] = sessions._select("taxpayer") + sql.param("token")
        counts = Sql()
        db["counts"] = (
            f"SELECT ({intake.count_sql(counts, 0)}) AS uploaded, "
            f"({sent.count_sql(counts, 0)}) AS sent"
        )
        db["count_values"] = counts.values
        if postgres:
            url = config.database_url.replace("postgres://", "postgresql://", 1)
            db["pg"] = await asyncpg.connect(url)
        else:
            path = Path(config.database_url.removeprefix("sqlite://").split("?")[0])
            db["lite"] = sqlite3.connect(
                path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None
            )
            db["lite"].row_factory = sqlite3.Row  # type: ignore[attr-defined]

    async def rows(statement: str, values: list[object]) -> list[dict[str, object]]:
        if postgres:  # one connection runs one statement at a time
            async with lock:
                return [dict(r) for r in await db["pg"].fetch(statement, *values)]  # type: ignore[attr-defined]
        return [dict(r) for r in db["lite"].execute(statement, values)]  # type: ignore[attr-defined]

    async def home(request: web.Request) -> web.Response:
        token = request.cookies["tp_taxpayer"]
        row = (await rows(str(db["session"]), [token_digest(token)]))[0]
        portal = sessions.frame_portal(row)
        values = [portal.id if v == 0 else v for v in db["count_values"]]  # type: ignore[attr-defined]
        counts = (await rows(str(db["counts"]), values))[0]
        language = i18n.choose_language(
            chosen=None,
            account=str(row["a__language"]) or None,
            tax_return=portal.tax_return.language,
            accept_language=request.headers.get("Accept-Language", ""),
        )
        env = request.app[PORTAL_TEMPLATES[language]]
        html = env.get_template("portal/home.html").render(
            firm_name=config.core.firm.name,
            firm=config.core.firm,
            account=None,
            staff=None,
            csrf_field=CSRF_FIELD,
            csrf_token=row["csrf_token"],
            nav_items=(),
            portal_nav_items=nav,
            request_path=request.path,
            lang=language,
            languages=i18n.LANGUAGES,
            tax_return=portal.tax_return,
            uploaded=counts["uploaded"],
            sent=counts["sent"],
            password_changed=False,
        )
        return web.Response(text=html, content_type="text/html")

    use_uvloop()
    app.on_startup.append(start)
    app.router.add_get("/portal/", home)
    web.run_app(app, host="127.0.0.1", port=config.core.server.port, print=None, access_log=None)


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
    parser.add_argument("--floor", action="store_true", help="Home's floor beside it")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.profile)
        return
    if args.serve_floor:
        serve_floor()
        return
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    for kind in args.databases.split(","):
        asyncio.run(bench_database(kind, args))


if __name__ == "__main__":
    main()
