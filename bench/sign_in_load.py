"""Benchmark: sign-in hashing runs off the event loop.

    .venv/bin/python bench/sign_in_load.py [--signins 20] [--seconds 15]

Starts the real server (argon2id at its production cost) on 127.0.0.1, keeps
``--signins`` staff sign-ins in flight at once, and meanwhile requests a cheap page
(the sign-in form) one at a time, recording its latency. Prints the cheap page's
p50/p95/p99 with no sign-ins and under sign-in load, and the sign-ins per second.
Only loopback traffic; the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

TAXPORTAL = [sys.executable, "-m", "taxportal.cli"]
PASSWORD = "benchmark password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def cheap_page_latencies(base: str, seconds: float) -> list[float]:
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            start = time.perf_counter()
            async with session.get(f"{base}/staff/login") as response:
                await response.read()
            latencies.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.01)
    return latencies


async def sign_in_forever(base: str, stop: asyncio.Event, counter: list[int]) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        while not stop.is_set():
            page = await (await session.get(f"{base}/staff/login")).text()
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            async with session.post(
                f"{base}/staff/login",
                allow_redirects=False,
                data={
                    "csrf_token": token,
                    "email": "bench@firm.example.com",
                    "password": PASSWORD,
                    "next": "/staff/",
                },
            ) as response:
                await response.read()
                assert response.status == 303, response.status
            counter[0] += 1
            session.cookie_jar.clear()


async def main(signins: int, seconds: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-signin-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    port = free_port()
    env.update(
        {
            "TAXPORTAL_SERVER__DATA_DIR": str(work / "data"),
            "PW": PASSWORD,
            "TAXPORTAL_SERVER__PORT": str(port),
            "TAXPORTAL_THROTTLE__PER_ADDRESS": "10000",
        }
    )  # this benchmark is one address
    subprocess.run([*TAXPORTAL, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*TAXPORTAL, "staff", "add", "bench@firm.example.com", "--password-env", "PW"],
        env=env,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [*TAXPORTAL, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as probe:
            for _ in range(100):
                try:
                    await probe.get(f"{base}/staff/login")
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
        idle = await cheap_page_latencies(base, seconds / 3)
        stop, counter = asyncio.Event(), [0]
        workers = [
            asyncio.create_task(sign_in_forever(base, stop, counter)) for _ in range(signins)
        ]
        await asyncio.sleep(1)  # let the sign-ins pile up
        began, done_before = time.perf_counter(), counter[0]
        loaded = await cheap_page_latencies(base, seconds)
        rate = (counter[0] - done_before) / (time.perf_counter() - began)
        stop.set()
        await asyncio.gather(*workers)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"machine: {os.cpu_count()} cores; {signins} sign-ins in flight; argon2id defaults")
    print(
        f"{'cheap page (GET /staff/login)':<34} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    for label, values in (("no sign-ins", idle), (f"{signins} sign-ins in flight", loaded)):
        print(
            f"{label:<34} {len(values):>5} {percentile(values, 0.5):>8.1f} "
            f"{percentile(values, 0.95):>8.1f} {percentile(values, 0.99):>8.1f}"
        )
    print(f"sign-ins completed per second under load: {rate:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--signins", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.signins, args.seconds))
