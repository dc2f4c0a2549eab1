"""The event bus: events held until their transaction commits, kept as rows, and carried
to every server process by the chosen backend (local, poll, postgres, redis)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from taxportal import events, metrics
from taxportal.contracts import BusBackend
from taxportal.events import Event

log = logging.getLogger(__name__)
SLACK = 200  # ids re-read on catch-up: PostgreSQL transactions may commit out of id order
SEEN = 20_000  # ids remembered as delivered, so a re-read never delivers twice
KEEP_ROWS = 100_000  # the event log keeps at most this many rows...
KEEP_AGE = 7 * 86_400  # ...and none older (seconds)
PRUNE_EVERY = 600.0  # seconds
MAX_NOTIFY = 7_000  # bytes: PostgreSQL's NOTIFY payload limit is 8,000


@dataclass
class _Held:
    bus: EventBus
    row_id: int | None
    event: Event
    data: str


_PENDING: contextvars.ContextVar[list[_Held] | None] = contextvars.ContextVar(
    "taxportal_pending_events", default=None
)


@contextlib.asynccontextmanager
async def atomic() -> AsyncIterator[Any]:
    """``in_transaction()`` whose events are delivered once it commits, and dropped if it
    rolls back. Nested blocks (savepoints) hand theirs to the outer block."""
    outer = _PENDING.get()
    held: list[_Held] = []
    token = _PENDING.set(held)
    try:
        async with in_transaction() as connection:
            yield connection
    finally:
        _PENDING.reset(token)
    # only reached when the block (and its commit) succeeded
    if outer is not None:
        outer.extend(held)
    elif held:
        await _released(held)


async def _released(held: list[_Held]) -> None:
    by_bus: dict[int, list[_Held]] = {}
    for item in held:
        by_bus.setdefault(id(item.bus), []).append(item)
    for items in by_bus.values():
        await items[0].bus.committed(items)


class EventBus:
    """One per process: publishes, delivers to this process' listeners, receives others'."""

    def __init__(self, deliver: Callable[[Event], Awaitable[None]]) -> None:
        self.deliver = deliver
        self.backend: BusBackend | None = None
        self.origin = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.last_seen = 0
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._catching_up = asyncio.Lock()

    @property
    def durable(self) -> bool:
        return self.backend is not None and self.backend.durable

    # publishing --------------------------------------------------------------------

    async def publish(self, event: Event) -> None:
        """Deliver ``event`` everywhere: now, or when the enclosing ``atomic()`` commits."""
        data = events.encode(event)  # refuses text before anything is written
        pending = _PENDING.get()
        row_id = None
        if self.durable and pending is not None:
            row_id = await self._insert(event, data)  # fails with its transaction
        elif self.durable:
            try:
                row_id = await self._insert(event, data)
            except Exception:  # the work is done: this process' listeners still hear it
                log.exception("event %s not written to the event log", events.topic_of(event))
        item = _Held(self, row_id, event, data)
        if pending is not None:
            pending.append(item)
        else:
            await self.committed([item])

    async def committed(self, items: list[_Held]) -> None:
        """Announce to the other processes first (they wait on it), then deliver here."""
        if self.backend is not None and self.durable:
            payloads = [self._payload(i) for i in items if i.row_id is not None]
            try:
                await self.backend.announce(payloads)
            except Exception:  # the rows are kept: the others catch up on their next read
                log.exception("bus %s could not announce %d events", self.backend.name, len(items))
        for item in items:
            if item.row_id is not None:
                self._mark(item.row_id)
            await self.deliver(item.event)

    def _payload(self, item: _Held) -> str:
        full = json.dumps(
            {
                "i": item.row_id,
                "o": self.origin,
                "t": events.topic_of(item.event),
                "d": item.data,
                "at": round(time.time(), 4),  # for the receivers' lag metric
            },
            separators=(",", ":"),
        )
        if len(full.encode()) <= MAX_NOTIFY:
            return full
        return json.dumps({"i": item.row_id, "o": self.origin})  # the others read the row

    async def _insert(self, event: Event, data: str) -> int:
        values = [self.origin, events.topic_of(event), data, int(time.time())]
        statement = (
            "INSERT INTO event_log (origin, topic, data, at) VALUES (?, ?, ?, ?) RETURNING id"
        )
        conn = connections.get("default")  # the transaction's, inside atomic()
        postgres = conn.capabilities.dialect == "postgres"
        if _PENDING.get() is not None or not postgres:
            rows = await conn.execute_query_dict(_marked(conn, statement), values)
            return int(rows[0]["id"])
        # An event of its own: its row is only for catching up, so it need not wait for the
        # WAL flush (4 ms of the 6 ms publish here); a database crash may lose the last
        # such rows, never a row of committed work, which rides in that work's transaction.
        async with in_transaction() as own:
            await own.execute_query("SET LOCAL synchronous_commit = off")
            rows = await own.execute_query_dict(_marked(own, statement), values)
        return int(rows[0]["id"])

    # receiving ---------------------------------------------------------------------

    async def start(self, backend: BusBackend) -> None:
        self.backend = backend
        if not backend.durable:
            return
        rows = await connections.get("default").execute_query_dict(
            "SELECT MAX(id) AS top FROM event_log"
        )
        self.last_seen = int(rows[0]["top"] or 0)  # a new process starts from now
        self._tasks.append(asyncio.create_task(self._consume(), name="bus-inbox"))
        self._tasks.append(asyncio.create_task(self._every_while(), name="bus-catch-up"))
        await backend.start(self.received, self.reconnected)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self.backend is not None:
            try:
                await self.backend.close()
            except Exception:
                log.exception("closing bus %s failed", self.backend.name)

    def received(self, payload: str) -> None:
        """Called by the backend for each notification (from its own task or callback)."""
        self._inbox.put_nowait(payload)

    def reconnected(self) -> None:
        """Called by the backend after it (re)subscribed: read what was missed meanwhile."""
        self._inbox.put_nowait(None)

    async def _consume(self) -> None:
        while True:
            payload = await self._inbox.get()
            try:
                if payload is None:
                    await self.catch_up()
                else:
                    await self._one(payload)
            except Exception:
                log.exception("bus message could not be handled")

    async def _one(self, payload: str) -> None:
        message = json.loads(payload)
        row_id = int(message["i"])
        if message.get("o") == self.origin or row_id in self._seen:
            return
        if "t" not in message:  # too big for a notification: read it from the table
            await self.catch_up()
            return
        self._mark(row_id)
        sent = message.get("at")
        if isinstance(sent, int | float):  # hosts' clocks differ a little: never below 0
            metrics.BUS_LAG_SECONDS.observe(max(0.0, time.time() - sent))
        await self.deliver(events.decode(message["t"], message["d"]))

    async def catch_up(self) -> None:
        """Deliver the rows this process has not seen (other origins only)."""
        async with self._catching_up:
            conn = connections.get("default")
            statement = _marked(
                conn,
                "SELECT id, origin, topic, data FROM event_log WHERE id > ? ORDER BY id LIMIT 500",
            )
            while True:
                rows = await conn.execute_query_dict(
                    statement,
                    [max(0, self.last_seen - SLACK)],
                )
                fresh = [r for r in rows if int(r["id"]) not in self._seen]
                for row in fresh:
                    self._mark(int(row["id"]))
                    if row["origin"] != self.origin:
                        await self.deliver(events.decode(row["topic"], row["data"]))
                if len(rows) < 500 or not fresh:
                    return

    def _mark(self, row_id: int) -> None:
        self._seen[row_id] = None
        if len(self._seen) > SEEN:
            self._seen.popitem(last=False)
        self.last_seen = max(self.last_seen, row_id)

    async def _every_while(self) -> None:
        """Read the table every ``poll_seconds`` (all the poll backend does; a safety net
        for a lost notification otherwise) and prune it now and then."""
        assert self.backend is not None
        loop = asyncio.get_running_loop()
        next_prune = loop.time()
        while True:
            try:
                if loop.time() >= next_prune:
                    await prune()
                    next_prune = loop.time() + PRUNE_EVERY
                self.reconnected()
            except Exception:
                log.exception("bus catch-up failed")
            await asyncio.sleep(self.backend.poll_seconds)


async def prune(keep_rows: int = KEEP_ROWS, keep_age: int = KEEP_AGE) -> None:
    """Drop the event log's oldest rows, past its size or age bound, in one statement."""
    conn = connections.get("default")
    await conn.execute_query(
        _marked(
            conn,
            "DELETE FROM event_log WHERE at < ? OR id <= (SELECT MAX(id) FROM event_log) - ?",
        ),
        [int(time.time()) - keep_age, keep_rows],
    )


def _marked(conn: Any, statement: str) -> str:
    """``?`` placeholders, numbered ``$n`` on PostgreSQL."""
    if conn.capabilities.dialect != "postgres":
        return statement
    parts = statement.split("?")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]
