"""Benchmark: every page's fixed cost, as a ratio to a bare aiohttp hello measured in the same run.

    .venv/bin/python bench/pages.py [--databases sqlite,postgres] [--seconds 10]

Starts, one process each, a bare aiohttp "hello" server and the real server (`taxportal
serve`) on 127.0.0.1, seeded with 10,000 returns (CSV import), a registered and verified
taxpayer with uploads and documents sent by the preparer, and sessions for that taxpayer
(code passed) and for an admin (second factor passed). Then loads each page with Debian's
wrk (`wrk -t1 -c50`), and prints req/s, p99, the server's CPU per request (from
/proc/<pid>/stat) and the ratio to hello; then `taxportal --help` against `python -c
"import aiohttp"` (hyperfine when installed, else repeated runs). Targets (issue 10): every
taxpayer page >= 10% of hello's req/s with p99 < 50 ms; the staff client list >= 5%;
`taxportal --help` < 3x the import. Each page is also served as a static copy of its
HTML by a bare aiohttp handler (the floor: what shipping those bytes costs). Only loopback
traffic; the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from client_list import POSTGRES_URL, free_port, reset_postgres, write_csv

TAXPORTAL = [sys.executable, "-m", "taxportal.cli"]
PASSWORD = "benchmark password"
CONNECTIONS = 50
PAGES_DATABASE = "taxportal_bench_pages"
TICKS = os.sysconf("SC_CLK_TCK")
HELLO = """
import sys
from aiohttp import web
async def hello(request):
    return web.Response(text="Hello, world")
app = web.Application()
app.router.add_get("/", hello)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""
# The floor under a page: the same bytes from a bare aiohttp handler (no session, no query,
# no template), so the page's own cost shows apart from shipping its HTML.
COPY = """
import json, sys
from aiohttp import web
pages = json.load(open(sys.argv[2]))
async def page(request):
    return web.Response(body=pages[request.path].encode(), content_type="text/html")
app = web.Application()
for path in pages:
    app.router.add_get(path, page)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""
TAXPAYER_PAGES = [
    ("portal home", "/portal/"),
    ("My Files", "/portal/files"),
    ("Files From My Preparer", "/portal/preparer-files"),
    ("change password", "/portal/account/password"),
]
STAFF_PAGES = [("staff client list (50 of 10,000)", "/staff/")]
WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("WRK %d %d %.3f %.3f %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


async def seed(data_dir: str) -> None:
    """Run in a child process with the server's environment: the taxpayer, their files, and
    a session for them and for the admin; prints the two cookie values as JSON."""
    import datetime as dt
    import secrets

    from taxportal.config import load_config
    from taxportal.crypto import token_digest
    from taxportal.models import (
        Portal,
        PreparerDocument,
        StaffUser,
        TaxpayerAccount,
        TaxReturn,
        UploadedFile,
        WebSession,
    )
    from taxportal.runtime import build_core, started

    now = dt.datetime.now(dt.UTC)
    async with started(build_core(load_config(None))):
        admin = await StaffUser.get(email="bench@firm.example.com")
        tax_return = await TaxReturn.filter(language="es").order_by("id").first()
        assert tax_return is not None
        portal = await Portal.create(tax_return=tax_return, created_by=admin, status="verified")
        account = await TaxpayerAccount.create(
            portal=portal,
            username="benchtaxpayer",
            username_key="benchtaxpayer",
            password_hash="-",  # noqa: S106 - never signs in: the session is made here
            email="bench.taxpayer@example.com",
            verified_at=now,
        )
        for i in range(8):
            await UploadedFile.create(
                portal=portal,
                storage_key=f"bench-upload-{i}",
                file_name=f"W-2 {i}.pdf",
                content_type="application/pdf",
                size=1000 + i,
                sha256=f"{i:064d}",
            )
        for i in range(12):
            await PreparerDocument.create(
                tax_return=tax_return,
                storage_key=f"bench-document-{i}",
                file_name=f"Form 8879 page {i}.pdf",
                size=2000 + i,
                sha256=f"{i:064d}",
                added_by=f"staff:{admin.id}",
                sent_at=now - dt.timedelta(days=i),
                sent_by=f"staff:{admin.id}",
            )
        tokens = {}
        for name, who in (("tp_taxpayer", {"account": account}), ("tp_staff", {"staff": admin})):
            token = secrets.token_urlsafe(32)
            await WebSession.create(
                token_hash=token_digest(token),
                kind="taxpayer" if "account" in who else "staff",
                csrf_token=secrets.token_urlsafe(32),
                second_factor_at=now,
                **who,
            )
            tokens[name] = token
    print(json.dumps(tokens))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children (a reloader or worker would be one)."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def wrk(url: str, seconds: int, pid: int, cookie: str = "") -> dict[str, float]:
    script = Path(tempfile.mkdtemp()) / "report.lua"
    script.write_text(WRK_REPORT)
    common = ["-t1", f"-c{CONNECTIONS}", "--timeout", "10s", "-s", str(script)]
    if cookie:
        common += ["-H", f"Cookie: {cookie}"]
    subprocess.run(["wrk", "-d2s", *common, url], capture_output=True, check=True)  # warm up
    before = cpu_seconds(pid)
    out = subprocess.run(
        ["wrk", f"-d{seconds}s", *common, url], capture_output=True, text=True, check=True
    ).stdout
    used = cpu_seconds(pid) - before
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    count, micros, p50, p99, bad_status, broken = (float(x) for x in line.split()[1:])
    if bad_status or broken:
        raise SystemExit(f"{url}: wrk saw {bad_status:.0f} non-2xx and {broken:.0f} broken")
    return {
        "rps": count / (micros / 1e6),
        "p50": p50,
        "p99": p99,
        "cpu_ms": used * 1000 / count,
    }


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    import socket

    for _ in range(1200):  # a minute: start-up is slow on a loaded machine
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"server on port {port} did not start")


def row(label: str, figures: dict[str, float], hello_rps: float) -> None:
    ratio = figures["rps"] / hello_rps * 100
    print(
        f"{label:<34} {figures['rps']:>8.0f} {figures['p50']:>7.1f} {figures['p99']:>7.1f} "
        f"{figures['cpu_ms']:>7.2f} {ratio:>7.1f}%"
    )


def fetch(url: str, cookie: str) -> str:
    import urllib.request

    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 - loopback
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return response.read().decode()


async def prepare(kind: str, rows: int, work: Path) -> tuple[dict[str, str], dict[str, str]]:
    """A migrated, seeded data directory under ``work`` (a fresh database on PostgreSQL):
    the server's environment and the two sessions' cookie values."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    env.update({"TAXPORTAL_SERVER__DATA_DIR": str(work / "data"), "PW": PASSWORD})
    if kind == "postgres":  # its own database: client_list.py may run beside it
        await reset_postgres(PAGES_DATABASE)
        env["TAXPORTAL_DATABASE__URL"] = POSTGRES_URL.rsplit("/", 1)[0] + "/" + PAGES_DATABASE
    write_csv(work / "returns.csv", rows)
    for args in (
        ["migrate"],
        ["staff", "add", "bench@firm.example.com", "--password-env", "PW"],
        ["returns", "import", str(work / "returns.csv")],
    ):
        done = subprocess.run([*TAXPORTAL, *args], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"taxportal {args[0]} failed: {done.stderr[-2000:]}")
    seeded = subprocess.run(
        [sys.executable, __file__, "--seed"], env=env, capture_output=True, text=True
    )
    if seeded.returncode != 0:
        raise SystemExit(f"seeding failed: {seeded.stderr[-2000:]}")
    return env, json.loads(seeded.stdout.strip().splitlines()[-1])


async def bench_database(kind: str, rows: int, seconds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"bench-pages-{kind}-"))
    env, tokens = await prepare(kind, rows, work)
    hello_port, port, copy_port = free_port(), free_port(), free_port()
    env["TAXPORTAL_SERVER__PORT"] = str(port)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    hello = subprocess.Popen([sys.executable, "-c", HELLO, str(hello_port)], **quiet)  # type: ignore[call-overload]
    server = subprocess.Popen([*TAXPORTAL, "serve", "--workers", "1"], env=env, **quiet)  # type: ignore[call-overload]
    copy: subprocess.Popen[bytes] | None = None
    try:
        wait_for(hello_port, hello)
        wait_for(port, server)
        load = f"wrk -t1 -c{CONNECTIONS} -d{seconds}s"
        print(f"\n## {kind}: {rows} returns, one server process, {load}")
        heads = ("req/s", "p50 ms", "p99 ms", "CPU ms", "of hello")
        print(f"{'page':<34} {heads[0]:>8} " + " ".join(f"{h:>7}" for h in heads[1:]))
        base = wrk(f"http://127.0.0.1:{hello_port}/", seconds, hello.pid)
        row("bare aiohttp hello", base, base["rps"])
        base_url = f"http://127.0.0.1:{port}"
        pages = [
            (label, path, f"tp_taxpayer={tokens['tp_taxpayer']}") for label, path in TAXPAYER_PAGES
        ] + [(label, path, f"tp_staff={tokens['tp_staff']}") for label, path in STAFF_PAGES]
        bodies = {path: fetch(base_url + path, cookie) for _, path, cookie in pages}
        copies = work / "copies.json"
        copies.write_text(json.dumps(bodies))
        copy = subprocess.Popen([sys.executable, "-c", COPY, str(copy_port), str(copies)], **quiet)  # type: ignore[call-overload]
        wait_for(copy_port, copy)
        for label, path, cookie in pages:
            row(label, wrk(base_url + path, seconds, server.pid, cookie), base["rps"])
            size = len(bodies[path].encode()) // 1024
            floor = wrk(f"http://127.0.0.1:{copy_port}{path}", seconds, copy.pid)
            row(f"  its HTML ({size} KB) as a static copy", floor, base["rps"])
    finally:
        for process in (p for p in (hello, server, copy) if p is not None):
            process.terminate()
            process.wait(timeout=10)


def command_times(runs: int) -> None:
    """`taxportal --help` against `python -c "import aiohttp"`: mean seconds of each."""
    help_cmd = f"{sys.executable} -m taxportal.cli --help"
    import_cmd = f'{sys.executable} -c "import aiohttp"'
    print(f"\n## start-up: {runs} runs each")
    if shutil.which("hyperfine"):
        out = Path(tempfile.mkdtemp()) / "times.json"
        subprocess.run(
            [
                "hyperfine",
                "-N",
                "-w2",
                f"-r{runs}",
                "--export-json",
                str(out),
                import_cmd,
                help_cmd,
            ],
            capture_output=True,
            check=True,
        )
        means = [r["mean"] for r in json.loads(out.read_text())["results"]]
    else:
        means = []
        for cmd in (import_cmd, help_cmd):
            times = []
            for _ in range(runs):
                began = time.perf_counter()
                subprocess.run(cmd, shell=True, capture_output=True, check=True)  # noqa: S602
                times.append(time.perf_counter() - began)
            means.append(statistics.mean(times))
    print(f"python -c 'import aiohttp'   {means[0] * 1000:>7.0f} ms")
    print(f"taxportal --help             {means[1] * 1000:>7.0f} ms  ({means[1] / means[0]:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=10, help="of each command, for start-up")
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        asyncio.run(seed(os.environ["TAXPORTAL_SERVER__DATA_DIR"]))
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    print(f"machine: {os.cpu_count()} cores; load: wrk (one thread), {CONNECTIONS} connections")
    for kind in args.databases.split(","):
        asyncio.run(bench_database(kind, args.rows, args.seconds))
    command_times(args.runs)


if __name__ == "__main__":
    main()
