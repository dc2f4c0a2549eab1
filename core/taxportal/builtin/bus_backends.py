"""The core's bus backends, an ordinary plugin: ``local`` (one process), ``poll`` (SQLite
with several processes) and ``postgres`` (LISTEN/NOTIFY on one dedicated connection)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from taxportal.api import AppConfig, BusBackend, hookimpl

log = logging.getLogger(__name__)
CHANNEL = "taxportal_bus"
SAFETY_POLL = 5.0  # seconds: rows are read this often even when notifications flow
RETRY_MAX = 5.0  # seconds between reconnection attempts, at most


class LocalBus:
    """One process: events go from publisher to listeners in memory, no row is kept."""

    name = "local"
    durable = False
    poll_seconds = 0.0

    async def start(self, received: Callable[[str], None], reconnected: Callable[[], None]) -> None:
        return None

    async def announce(self, payloads: list[str]) -> None:
        return None

    async def close(self) -> None:
        return None


class PollBus(LocalBus):
    """Several processes on SQLite: each reads the event log every ``[bus] poll_ms``."""

    name = "poll"
    durable = True

    def __init__(self, poll_ms: int) -> None:
        self.poll_seconds = poll_ms / 1000


class PostgresBus:
    """LISTEN/NOTIFY on one asyncpg connection of its own (outside tortoise's pool, whose
    connections skip the session reset and must not hold a LISTEN): payloads hold ids."""

    name = "postgres"
    durable = True
    poll_seconds = SAFETY_POLL

    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        # tortoise's URL may carry pool options asyncpg does not know
        self.dsn = urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))
        self.connection: Any = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    async def start(self, received: Callable[[str], None], reconnected: Callable[[], None]) -> None:
        await self._connect(received)  # the first connection must work: fail the start-up
        reconnected()
        self._task = asyncio.create_task(self._keep(received, reconnected), name="bus-postgres")

    async def _connect(self, received: Callable[[str], None]) -> None:
        self._lost.clear()
        connection = await asyncpg.connect(self.dsn)
        connection.add_termination_listener(lambda _c: self._lost.set())
        await connection.add_listener(CHANNEL, lambda _c, _pid, _ch, payload: received(payload))
        self.connection = connection

    async def _keep(self, received: Callable[[str], None], reconnected: Callable[[], None]) -> None:
        """Reconnect when the connection dies (server restart, pg_terminate_backend)."""
        delay = 0.1
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout=1.0)
            if not self._lost.is_set() and not self.connection.is_closed():
                continue
            log.warning("bus connection to PostgreSQL lost; reconnecting")
            try:
                await self._connect(received)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("bus reconnection failed: %s", type(exc).__name__)
                self._lost.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            delay = 0.1
            reconnected()  # NOTIFY has no replay: read the rows published meanwhile

    def connected(self) -> bool:
        connection = self.connection
        return connection is not None and not connection.is_closed() and not self._lost.is_set()

    async def announce(self, payloads: list[str]) -> None:
        if not payloads:
            return
        async with self._lock:  # one connection runs one statement at a time
            await self.connection.execute(
                "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", CHANNEL, payloads
            )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.connection is not None and not self.connection.is_closed():
            await self.connection.close()


@hookimpl
def taxportal_bus_backends(config: AppConfig) -> list[BusBackend]:
    backends: list[BusBackend] = [LocalBus(), PollBus(config.core.bus.poll_ms)]
    if not config.database_url.startswith("sqlite"):
        backends.append(PostgresBus(config.database_url))
    return backends
