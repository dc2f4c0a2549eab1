"""Real `taxportal serve` processes with the bus probe plugin (tests/bus/probe.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.uploads.helpers import REPO, Server, process_env

PLUGINS = '["notify_email", "notify_sms", "storage_local", "bus_probe"{}]'


def probe_env(config: Any, backend: str = "") -> dict[str, str]:
    extra = ', "bus_redis"' if backend == "redis" else ""
    env = process_env(config, TAXPORTAL_PLUGINS__ENABLED=PLUGINS.format(extra))
    env["PYTHONPATH"] = str(REPO)
    if backend:
        env["TAXPORTAL_BUS__BACKEND"] = backend
    return env


class ProbeServer(Server):
    command = ("tests.bus.serve_with_probe",)


def two_servers(config: Any, work_dir: Path, backend: str = "") -> list[ProbeServer]:
    env = probe_env(config, backend)
    servers = [ProbeServer(env, work_dir), ProbeServer(env, work_dir)]
    try:
        for server in servers:
            server.start()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


async def get(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def wait_heard(
    session: aiohttp.ClientSession, server: Server, count: int, timeout: float = 10
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        heard = await get(session, f"{server.base}/bus-probe/seen")
        if len(heard) >= count or time.monotonic() > deadline:
            return heard
        await asyncio.sleep(0.02)
