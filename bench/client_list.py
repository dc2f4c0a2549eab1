"""Benchmark: import 10,000 returns from CSV, then load the client list with 20 concurrent clients.

    .venv/bin/python bench/client_list.py [--databases sqlite,postgres] [--requests 600]
    .venv/bin/python bench/client_list.py --load wrk --seconds 10   # Debian's wrk as the load
    .venv/bin/python bench/client_list.py --chat 2   # every return a portal, every 2nd a chat

With ``--chat N`` every return gets a verified portal and every N-th portal a conversation
of 4 unread messages from the taxpayer (written in SQL after the import), so the File
Viewer's page asks the chat plugin for its unread marks (``taxportal_client_marks``).

Starts the real server (`taxportal serve`) in a subprocess on 127.0.0.1, signs in as an
admin, and requests the File Viewer's first page, searches (a name, digits, an SSN's last
four) and page 200. Prints requests
per second and p50/p95/p99 latency for each. Only loopback traffic; bounded request count
(or, with wrk, bounded time). The Python load generator costs about as much CPU as the
server it measures; wrk (C) costs little, so it shows what the server itself can do.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg
import pyotp

ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/taxportal_bench"  # its own: tests reset "test"
PASSWORD = "benchmark password"
TAXPORTAL = [sys.executable, "-m", "taxportal.cli"]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Garcia",
    "Martinez",
    "Nguyen",
    "Brown",
    "Davis",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Hernandez",
    "Moore",
    "Jackson",
    "Martin",
]
FIRST_NAMES = ["Maria", "James", "Ana", "John", "Linh", "Robert", "Rosa", "Michael", "Sofia"]


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "tax_year",
                "first_name",
                "last_name",
                "ssn",
                "primary_email",
                "mobile_phone",
                "address",
                "city",
                "state",
                "zip_code",
                "language",
            ]
        )
        for i in range(rows):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES) + f"{i:05d}"
            ssn = f"{401 + i // 9000}-{10 + (i // 100) % 90:02d}-{1000 + i % 100:04d}"  # unique
            writer.writerow(
                [
                    2025,
                    first,
                    last,
                    ssn,
                    f"{first}.{last}@example.com".lower(),
                    f"706555{i % 10000:04d}",
                    f"{i} Main St",
                    "Evans",
                    "GA",
                    "30809",
                    "es" if i % 4 == 0 else "en",
                ]
            )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def reset_postgres(name: str = "taxportal_bench") -> None:
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f"DROP DATABASE IF EXISTS {name}")
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TAXPORTAL, *args], env=env, capture_output=True, text=True, check=False)


async def sign_in(session: aiohttp.ClientSession, base: str) -> None:
    """Password, then the second factor: set up from the key the page shows, as a new admin."""
    page = await (await session.get(f"{base}/staff/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = await session.post(
        f"{base}/staff/login",
        data={
            "csrf_token": token,
            "email": "bench@firm.example.com",
            "password": PASSWORD,
            "next": "/staff/",
        },
        allow_redirects=False,
    )
    assert response.status == 303, response.status
    page = await (await session.get(f"{base}/staff/2fa?next=/staff/")).text()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")  # type: ignore[union-attr]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = await session.post(
        f"{base}/staff/2fa",
        data={"csrf_token": token, "code": pyotp.TOTP(secret).now(), "next": "/staff/"},
        allow_redirects=False,
    )
    assert response.status in (200, 303), response.status


async def load(base: str, path: str, concurrency: int, total: int, cookies) -> dict[str, float]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    queue = iter(range(total))
    async with aiohttp.ClientSession(
        cookies=cookies, connector=aiohttp.TCPConnector(limit=concurrency)
    ) as session:
        for _ in range(5):  # warm up
            await (await session.get(base + _random_digits(path))).read()

        async def worker() -> None:
            for _ in queue:
                start = time.perf_counter()
                url = base + _random_digits(path)
                async with session.get(url) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latencies.append((time.perf_counter() - start) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p95": pick(0.95),
        "p99": pick(0.99),
    }


ANY_DIGITS = "DIGITS"  # in a path: five random digits, new for each request
ANY_LAST4 = "LASTFOUR"  # in a path: four random digits (an SSN's last four), new each time


def _random_digits(path: str) -> str:
    path = path.replace(ANY_DIGITS, f"{random.randrange(100_000):05d}")
    return path.replace(ANY_LAST4, f"{random.randrange(10_000):04d}")


WRK_REPORT = """
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local path = string.gsub(wrk.path, "DIGITS", function()
    return string.format("%05d", math.random(0, 99999))
  end)
  path = string.gsub(path, "LASTFOUR", function()
    return string.format("%04d", math.random(0, 9999))
  end)
  return wrk.format(nil, path)
end
done = function(summary, latency, requests)
  io.write(string.format("WRK %d %d %.3f %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def load_with_wrk(
    base: str, path: str, concurrency: int, seconds: int, cookies
) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The same measure with wrk: one connection per client, for ``seconds`` seconds."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    script = Path(tempfile.mkdtemp()) / "report.lua"
    script.write_text(WRK_REPORT)
    cookie = "; ".join(f"{key}={value}" for key, value in cookies.items())
    threads = min(concurrency, 2)
    common = [f"-t{threads}", f"-c{concurrency}", "--timeout", "10s", "-s", str(script)]
    common += ["-H", f"Cookie: {cookie}", base + path]
    subprocess.run([wrk, "-d2s", *common], capture_output=True, check=True)  # warm up
    out = subprocess.run([wrk, f"-d{seconds}s", *common], capture_output=True, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    count, micros, p50, p95, p99, errors = line.split()[1:]
    if int(errors):
        raise SystemExit(f"wrk saw {errors} errors (non-2xx answers or broken connections)")
    return {
        "rps": int(count) / (int(micros) / 1e6),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
    }


SEED_PORTALS = (
    "INSERT INTO portal (tax_return_id, status, created_at, failed_registrations,"
    " link_requested) SELECT id, 'verified', CURRENT_TIMESTAMP, 0, FALSE FROM tax_return"
)
SEED_MESSAGES = (
    "INSERT INTO chat_message (portal_id, author, author_name, body, file_name, created_at)"
    " SELECT id, 'taxpayer', 'Bench', 'a question', '', CURRENT_TIMESTAMP FROM portal"
    " WHERE id % {every} = 0"
)
SEED_CONVERSATIONS = (
    "INSERT INTO chat_conversation (portal_id, last_message_id, last_posted_at, last_author,"
    " taxpayer_read_id, staff_read_id) SELECT portal_id, MAX(id), CURRENT_TIMESTAMP,"
    " 'taxpayer', MAX(id), 0 FROM chat_message GROUP BY portal_id"
)


async def seed_chat(kind: str, work: Path, every: int) -> None:
    """Portals for every return, and every ``every``-th one a conversation of 4 unread
    messages (SQL: the pages are measured, not the writing)."""
    statements = [SEED_PORTALS, *[SEED_MESSAGES.format(every=every)] * 4, SEED_CONVERSATIONS]
    if kind == "postgres":
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            for statement in statements:
                await conn.execute(statement)
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
        return
    import sqlite3

    db = sqlite3.connect(work / "data" / "taxportal.sqlite3")
    with db:
        for statement in statements:
            db.execute(statement)
    db.execute("ANALYZE")
    db.close()


async def bench_database(
    kind: str,
    rows: int,
    requests: int,
    concurrency: int,
    workers: int,
    use_wrk: int = 0,
    chat_every: int = 0,
    marks_off: bool = False,
) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    env.update({"TAXPORTAL_SERVER__DATA_DIR": str(work / "data"), "PW": PASSWORD})
    if kind == "postgres":
        await reset_postgres()
        env["TAXPORTAL_DATABASE__URL"] = POSTGRES_URL
    csv_path = work / "returns.csv"
    write_csv(csv_path, rows)
    assert cli(env, "migrate").returncode == 0
    assert (
        cli(env, "staff", "add", "bench@firm.example.com", "--password-env", "PW").returncode == 0
    )
    started = time.perf_counter()
    result = cli(env, "returns", "import", str(csv_path))
    import_seconds = time.perf_counter() - started
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:])
        raise SystemExit(f"import failed on {kind}")
    again = time.perf_counter()
    cli(env, "returns", "import", str(csv_path))
    reimport_seconds = time.perf_counter() - again
    if chat_every:
        await seed_chat(kind, work, chat_every)
    chat = f", a conversation every {chat_every} portal(s)" if chat_every else ""
    print(f"\n## {kind}: {rows} returns{chat}, {workers} server process(es)")
    print(
        f"import: {import_seconds:.2f} s (whole command, incl. start-up); "
        f"same file again: {reimport_seconds:.2f} s"
    )

    port = free_port()
    env["TAXPORTAL_SERVER__PORT"] = str(port)
    if marks_off:  # the data as seeded, served without the plugin that marks the list
        env["TAXPORTAL_PLUGINS__DISABLED"] = '["chat"]'
        print("(served with chat off: no unread marks)")
    server = subprocess.Popen(
        [*TAXPORTAL, "serve", "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "server.log").open("wb"),  # read when it does not come up
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            for _ in range(600):  # a loaded 2-core machine starts it slowly
                try:
                    await session.get(f"{base}/staff/login")
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            await sign_in(session, base)
            cookies = {c.key: c.value for c in session.cookie_jar}
        print(f"{'page':<28} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
        for label, path in [
            ("first page", "/staff/"),
            ("search 'garcia'", "/staff/?q=garcia"),
            ("search, new digits each time", f"/staff/?q={ANY_DIGITS}"),
            ("search, a last four each time", f"/staff/?q={ANY_LAST4}"),
            ("page 200", "/staff/?page=200"),
        ]:
            if use_wrk:
                figures = load_with_wrk(base, path, concurrency, use_wrk, cookies)
            else:
                figures = await load(base, path, concurrency, requests, cookies)
            print(
                f"{label:<28} {figures['rps']:>8.0f} {figures['p50']:>8.1f} "
                f"{figures['p95']:>8.1f} {figures['p99']:>8.1f}"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="taxportal serve --workers")
    parser.add_argument("--load", choices=["python", "wrk"], default="python")
    parser.add_argument("--seconds", type=int, default=10, help="per page, with --load wrk")
    parser.add_argument("--chat", type=int, default=0, help="a conversation every N portals")
    parser.add_argument(
        "--marks-off",
        action="store_true",
        help="serve with the chat plugin off: the same data, no unread marks (a before/after)",
    )
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores; {args.concurrency} concurrent clients, "
        + (
            f"wrk, {args.seconds} s per page"
            if args.load == "wrk"
            else f"{args.requests} requests per page"
        )
    )
    for kind in args.databases.split(","):
        seconds = args.seconds if args.load == "wrk" else 0
        asyncio.run(
            bench_database(
                kind,
                args.rows,
                args.requests,
                args.concurrency,
                args.workers,
                seconds,
                args.chat,
                args.marks_off,
            )
        )


if __name__ == "__main__":
    main()
