"""Benchmark: chat's live delivery, 500 WebSocket clients over two `taxportal serve`
processes on one PostgreSQL database.

    .venv/bin/python bench/chat.py [--portals 250] [--messages 500] [--seconds 10]

A fresh database (`taxportal_bench_chat`, migrated by `taxportal migrate`), `--portals`
conversations, each with its taxpayer's socket on process A and a preparer's socket on
process B (so 500 sockets by default, half on each). Then:

- paced: `--messages` posts, one at a time about 5 ms apart, each by a random taxpayer
  through a random process (`POST /portal/messages`, JSON); latency is from the moment
  the request is sent to the moment each of the conversation's two sockets has the frame
  (one on the posting process, one on the other, reached over LISTEN/NOTIFY);
- sustained: 20 posters for `--seconds`, each posting as soon as its last post was
  answered: posts/s accepted, and whether every frame arrived;
- memory: the two servers' RSS before the sockets and with them all open, per socket.

Everything on this machine (2 cores): the 500 clients, the servers, PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.uploads.helpers import Server  # noqa: E402

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "taxportal_bench_chat"
PAGE = "/portal/messages"


async def fresh_database() -> str:
    admin = await asyncpg.connect(ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    return f"postgres://postgres@127.0.0.1:5432/{DATABASE}"


def server_env(data_dir: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    env.update(
        {
            "TAXPORTAL_SERVER__DATA_DIR": str(data_dir),
            "TAXPORTAL_DATABASE__URL": url,
            "TAXPORTAL_FIRM__NAME": "Evans Tax Service",
            "TAXPORTAL_SERVER__HOST": "127.0.0.1",
            "TAXPORTAL_CHAT__POSTS_PER_MINUTE": "1000",
            "TAXPORTAL_THROTTLE__PER_ADDRESS": "10000",
            "PYTHONPATH": str(REPO),
        }
    )
    return env


async def seed(portals: int) -> dict[str, Any]:
    """Run in its own process: returns, portals, verified accounts and live sessions."""
    from taxportal.config import load_config
    from taxportal.models import Portal, StaffUser, TaxpayerAccount
    from taxportal.runtime import build_core, started
    from taxportal.services.accounts import sessions
    from taxportal.services.returns import records
    from taxportal.services.returns.fields import ReturnFields

    async with started(build_core(load_config(path=None))) as core:
        staff = await StaffUser.create(
            email="bench@evans-tax.example.com",
            name="Ana Ruiz",
            role="preparer",
            password_hash="x",  # noqa: S106 - nobody signs in with a password here
        )
        staff_token, _ = await sessions.start(core, staff=staff, second_factor=True)
        taxpayers = []
        for n in range(portals):
            fields = ReturnFields(
                tax_year=2025,
                first_name="Bench",
                last_name=f"Client{n}",
                ssn=f"400-{20 + n // 9999:02d}-{n % 9999 + 1:04d}",
                primary_email=f"bench{n}@example.com",
                city="Evans",
                state="GA",
                zip_code="30809",
            )
            tax_return, _ = await records.upsert(core, fields, actor="bench")
            portal = await Portal.create(tax_return=tax_return, status="verified")
            account = await TaxpayerAccount.create(
                portal=portal,
                username=f"bench{n}",
                username_key=f"bench{n}",
                password_hash="x",  # noqa: S106
            )
            token, session = await sessions.start(core, account=account, second_factor=True)
            taxpayers.append({"portal_id": portal.id, "token": token, "csrf": session.csrf_token})
        return {"staff": staff_token, "taxpayers": taxpayers}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Listeners:
    """The 500 sockets: for each message id, when each of its sockets had it."""

    def __init__(self) -> None:
        self.arrived: dict[int, list[float]] = {}
        self.where: dict[tuple[int, bool], float] = {}
        self.wall: dict[int, list[float]] = {}  # the same arrivals, by the wall clock
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self, session: aiohttp.ClientSession, url: str, origin: str) -> None:
        socket = await session.ws_connect(url, headers={"Origin": origin}, max_msg_size=0)
        self.tasks.append(asyncio.create_task(self._read(socket)))

    async def _read(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in socket:
            if frame.type == aiohttp.WSMsgType.TEXT:
                news = json.loads(frame.data)
                if news["type"] == "message":
                    now = time.perf_counter()
                    self.arrived.setdefault(news["message"]["id"], []).append(now)
                    # the taxpayer wrote it: "mine" is their socket, on process A
                    self.where[(news["message"]["id"], news["message"]["mine"])] = now
                    self.wall.setdefault(news["message"]["id"], []).append(time.time())


async def post(session: aiohttp.ClientSession, base: str, csrf: str, text: str) -> int:
    async with session.post(
        f"{base}{PAGE}",
        data={"csrf_token": csrf, "body": text},
        headers={"Accept": "application/json"},
    ) as response:
        assert response.status == 201, await response.text()
        return int((await response.json())["message"]["id"])


async def since_insert(listeners: Listeners, ids: list[int]) -> list[float]:
    """From the message's ``created_at`` (set as the row is inserted, a moment before the
    commit) to each socket's frame, both by this machine's wall clock."""
    db = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{DATABASE}")
    try:
        rows = await db.fetch(
            "SELECT id, EXTRACT(EPOCH FROM created_at)::float8 AS at FROM chat_message "
            "WHERE id = ANY($1::bigint[])",
            ids,
        )
    finally:
        await db.close()
    return [t - row["at"] for row in rows for t in listeners.wall.get(row["id"], ())]


async def wait_for(listeners: Listeners, ids: list[int], timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        missing = sum(1 for i in ids if len(listeners.arrived.get(i, ())) < 2)
        if not missing:
            return 0
        await asyncio.sleep(0.05)
    return missing


async def bench(args: argparse.Namespace) -> None:
    url = await fresh_database()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        env = server_env(data_dir, url)
        run = {"env": env, "cwd": tmp, "check": True}
        subprocess.run([sys.executable, "-m", "taxportal.cli", "migrate"], **run,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        seeded = subprocess.run(
            [sys.executable, __file__, "--seed", str(args.portals)],
            **run, capture_output=True, text=True,
        )  # fmt: skip
        people = json.loads(seeded.stdout)
        one, other = Server(env, Path(tmp)), Server(env, Path(tmp))
        one.start()
        other.start()
        try:
            await measure(args, people, one, other)
        finally:
            one.stop()
            other.stop()


async def measure(
    args: argparse.Namespace, people: dict[str, Any], one: Server, other: Server
) -> None:
    taxpayers = people["taxpayers"]
    limits = aiohttp.TCPConnector(limit=0)
    sessions = []
    listeners = Listeners()
    staff = aiohttp.ClientSession(cookies={"tp_staff": people["staff"]}, connector=limits)
    sessions.append(staff)
    before = rss_kib(one.process.pid) + rss_kib(other.process.pid)  # type: ignore[union-attr]
    for person in taxpayers:
        mine = aiohttp.ClientSession(cookies={"tp_taxpayer": person["token"]})
        sessions.append(mine)
        person["session"] = mine
        await listeners.open(mine, f"{one.base}{PAGE}/socket", one.base)
        await listeners.open(
            staff, f"{other.base}/staff/messages/{person['portal_id']}/socket", other.base
        )
    await asyncio.sleep(2)
    after = rss_kib(one.process.pid) + rss_kib(other.process.pid)  # type: ignore[union-attr]
    sockets = 2 * len(taxpayers)
    print(f"{sockets} sockets open; servers' RSS {before / 1024:.0f} MiB -> {after / 1024:.0f}"
          f" MiB: {(after - before) / sockets:.1f} KiB per socket")  # fmt: skip

    bases = (one.base, other.base)
    for n in range(20):  # warm up both processes' paths
        person = random.choice(taxpayers)
        await post(person["session"], bases[n % 2], person["csrf"], f"warm {n}")

    kinds: dict[str, list[float]] = {"answered": [], "all": [], "same": [], "other": []}
    paced_ids: list[int] = []
    for n in range(args.messages):
        person = random.choice(taxpayers)
        through = random.choice(bases)
        sent = time.perf_counter()
        message_id = await post(person["session"], through, person["csrf"], f"m{n}")
        paced_ids.append(message_id)
        kinds["answered"].append(time.perf_counter() - sent)
        if await wait_for(listeners, [message_id], 10):
            print(f"message {message_id} did not reach both sockets")
            continue
        kinds["all"].extend(t - sent for t in listeners.arrived[message_id])
        on_one = listeners.where[(message_id, True)] - sent  # the taxpayer's socket, on A
        on_other = listeners.where[(message_id, False)] - sent  # the preparer's, on B
        kinds["same"].append(on_one if through == one.base else on_other)
        kinds["other"].append(on_other if through == one.base else on_one)
        await asyncio.sleep(0.005)
    kinds["commit"] = await since_insert(listeners, paced_ids)
    print(f"paced, {args.messages} posts, each to 2 sockets, from the request sent:")
    for kind, what in (
        ("answered", "the POST answered"),
        ("all", "every delivery"),
        ("same", "delivered by the posting process"),
        ("other", "delivered by the other process"),
        ("commit", "every delivery, from the row's insert"),
    ):
        ms = [x * 1000 for x in kinds[kind]]
        print(f"  {what:38} p50 {statistics.median(ms):6.1f} ms  "
              f"p99 {percentile(ms, 0.99):6.1f} ms  max {max(ms):6.1f} ms")  # fmt: skip

    stop_at = time.monotonic() + args.seconds
    posted: list[int] = []

    async def poster(k: int) -> None:
        while time.monotonic() < stop_at:
            person = random.choice(taxpayers)
            posted.append(await post(person["session"], bases[k % 2], person["csrf"], "load"))

    started = time.monotonic()
    await asyncio.gather(*(poster(k) for k in range(20)))
    took = time.monotonic() - started
    missing = await wait_for(listeners, posted, 30)
    print(f"sustained, 20 posters for {took:.1f} s: {len(posted)} posts, "
          f"{len(posted) / took:.0f} posts/s, {2 * len(posted) / took:.0f} deliveries/s; "
          f"{missing} posts not delivered to both sockets")  # fmt: skip
    for task in listeners.tasks:
        task.cancel()
    for session in sessions:
        await session.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--portals", type=int, default=250)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        print(json.dumps(asyncio.run(seed(args.seed))))
        return
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
