"""Is this server process ready to serve? The checks behind ``/readyz``.

Each check answers a word (``ok``, ``off`` or why not), never data: the answer goes to a
load balancer without authentication. A check that hangs counts as failed after
``TIMEOUT`` seconds; the storage probe (a write and a delete) is repeated at most every
``STORAGE_EVERY`` seconds per process, so a balancer polling every second costs the
bucket little.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass

from tortoise import connections

from taxportal.context import Core
from taxportal.contracts import ReportsConnection
from taxportal.db import pending_migrations, tortoise_config
from taxportal.jobs.worker import Worker

TIMEOUT = 3.0
STORAGE_EVERY = 10.0
GOOD = ("ok", "off")


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(state in GOOD for state in self.checks.values())


@dataclass
class _Probe:
    at: float = -STORAGE_EVERY
    state: str = "ok"


_storage_probe = _Probe()  # this process' own last look at its storage


async def readiness(core: Core, worker: Worker | None) -> Readiness:
    database, storage = await asyncio.gather(_timed(_database(core)), _timed(_storage(core)))
    return Readiness(
        {"database": database, "storage": storage, "bus": _bus(core), "jobs": _jobs(core, worker)}
    )


async def _timed(check: Awaitable[str]) -> str:
    try:
        return await asyncio.wait_for(check, TIMEOUT)
    except TimeoutError:
        return "timeout"


async def _database(core: Core) -> str:
    try:
        await connections.get("default").execute_query("SELECT 1")
        tconfig = tortoise_config(core.config, core.plugins.model_modules())
        if await pending_migrations(tconfig):  # another host migrated ahead of this one
            return "pending_migrations"
    except Exception:  # noqa: BLE001 - any failure to reach it is the answer, not a 500
        return "unreachable"
    return "ok"


async def _storage(core: Core) -> str:
    storage = core.plugins.storage
    if storage is None:
        return "off"
    now = time.monotonic()
    if now - _storage_probe.at < STORAGE_EVERY:
        return _storage_probe.state
    key = f"health/probe-{secrets.token_hex(6)}"  # unique on storage other hosts share
    try:
        await storage.put(key, _one_chunk(b"ready\n"))
        await storage.delete(key)
        state = "ok"
    except Exception:  # noqa: BLE001 - a full disk, a denied bucket: not writable
        state = "not_writable"
    _storage_probe.at, _storage_probe.state = now, state
    return state


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _bus(core: Core) -> str:
    backend = core.plugins.bus_backend
    if isinstance(backend, ReportsConnection) and not backend.connected():
        return "disconnected"
    return "ok"


def _jobs(core: Core, worker: Worker | None) -> str:
    if not core.config.core.jobs.worker:
        return "off"  # this process runs no jobs by the operator's choice
    return "ok" if worker is not None and worker.alive else "stopped"
