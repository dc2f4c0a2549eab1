"""The signing record: append an event to a document's chain, read it, verify every chain.

``append`` is the only writer of ``signing_event``. The next link is computed from the last
stored one and INSERTed; ``UNIQUE(document_id, seq)`` makes a second writer of the same
seq fail, and that writer reads the new last link and tries again. So any number of
appends to one document, in any number of processes, give seqs 1..N and one chain.

- PostgreSQL: the read and the INSERT run in one transaction (a savepoint inside the
  caller's) that first takes a transaction-scoped advisory lock on the document, so
  appenders to one document queue instead of all racing for the same seq; the retry stays
  as the safety net. Callers must use READ COMMITTED (PostgreSQL's default): a REPEATABLE
  READ transaction never sees the other writer's row, and gives up after ``MAX_TRIES``.
- SQLite: the read runs before the INSERT's transaction, not in it: a transaction that
  reads, then writes after another process wrote, fails at once ("database is locked")
  instead of waiting. A lost race is the UNIQUE conflict, retried.

Inside a caller's transaction (``bus.atomic()``, say, with the request's change from
pending to signed) the event is part of it: it exists, and its seq is taken, only once
the caller commits; a rollback takes it away and leaves no hole. A retry then rolls back
only the failed INSERT's savepoint, never the caller's work. On PostgreSQL the advisory
lock is held until the caller's commit, so keep such transactions short; on SQLite a
caller's transaction should write before it reads, as every read-then-write transaction
of the portal does.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from taxportal.limits import MAX_ID
from taxportal.models import SigningEvent
from taxportal.services.signing import chain
from taxportal.services.signing.details import checked
from taxportal.services.signing.kinds import KINDS, ROLES
from taxportal.services.signing.verification import ChainWalker, VerifyReport
from taxportal.sql import Sql, columns, models

# Every statement here is written from constants and placeholders; values are bound.
# ruff: noqa: S608

MAX_TRIES = 500  # lost races before giving up: one per writer that got in first
LOCK_SPACE = 0x5349474E  # "SIGN": the advisory-lock namespace of signing chains
BATCH = 1000  # events read at a time by ``verify``
# column -> the longest text kept (longer is cut: the record keeps what fits, never fails)
LIMITS = {"actor": 254, "ip": 64, "user_agent": 512}


class AppendFailed(RuntimeError):
    """Every try lost its race (a REPEATABLE READ caller, or an impossible load)."""


async def append(
    document_id: int,
    kind: str,
    *,
    role: str,
    actor: str,
    ip: str,
    user_agent: str,
    details: Mapping[str, Any] | None = None,
) -> SigningEvent:
    """Add an event at the end of ``document_id``'s chain and return it, as stored.

    ``ValueError`` for an unknown kind or role, a document id out of range, or details with
    a key or value not allowed (``details.py``); the message never quotes a value."""
    if type(document_id) is not int or not 1 <= document_id <= MAX_ID:
        raise ValueError("signing event: the document id is out of range")
    if kind not in KINDS:
        raise ValueError("signing event: unknown kind")
    if role not in ROLES:
        raise ValueError("signing event: unknown role")
    values = {
        "kind": kind,
        "role": role,
        "actor": _text(actor, LIMITS["actor"]),
        "ip": _text(ip, LIMITS["ip"]),
        "user_agent": _text(user_agent, LIMITS["user_agent"]),
        "details": checked(details),
    }
    postgres = connections.get("default").capabilities.dialect == "postgres"
    for _ in range(MAX_TRIES):
        try:
            if postgres:
                return await _append_locked(document_id, values)
            return await _append_after_read(document_id, values)
        except IntegrityError:
            continue  # another writer took this seq first: read its link and go on from it
    raise AppendFailed(f"signing event: gave up after {MAX_TRIES} lost races")


async def _append_locked(document_id: int, values: dict[str, Any]) -> SigningEvent:
    async with in_transaction() as conn:  # a savepoint inside the caller's transaction
        await conn.execute_query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_SPACE, document_id])
        return await _insert(conn, document_id, await _last(conn, document_id), values)


async def _append_after_read(document_id: int, values: dict[str, Any]) -> SigningEvent:
    last = await _last(connections.get("default"), document_id)
    async with in_transaction() as conn:  # only the INSERT: a savepoint in a caller's
        return await _insert(conn, document_id, last, values)


async def _last(conn: Any, document_id: int) -> tuple[int, str]:
    """The seq and hash the next event links to: (0, genesis) for a document's first."""
    row = (
        await SigningEvent.filter(document_id=document_id)
        .using_db(conn)
        .order_by("-seq")
        .limit(1)
        .values("seq", "hash")
    )
    if not row:
        return 0, chain.genesis(document_id)
    return int(row[0]["seq"]), str(row[0]["hash"])


async def _insert(
    conn: Any, document_id: int, last: tuple[int, str], values: dict[str, Any]
) -> SigningEvent:
    seq, prev_hash = last[0] + 1, last[1]
    # taken after the read, so on PostgreSQL (under the lock) times follow seqs
    at = dt.datetime.now(dt.UTC)
    digest = chain.event_hash(
        document_id=document_id, seq=seq, at=at, prev_hash=prev_hash, **values
    )
    return await SigningEvent.create(
        using_db=conn,
        document_id=document_id,
        seq=seq,
        at=at,
        prev_hash=prev_hash,
        hash=digest,
        **values,
    )


def _text(value: str, limit: int) -> str:
    """Printable text only (no control, format or surrogate characters, which PostgreSQL
    or a terminal reading the record would choke on), cut to ``limit`` characters."""
    kept = "".join(ch for ch in str(value) if unicodedata.category(ch)[0] != "C")
    return kept.strip()[:limit]


async def events_of(document_id: int) -> list[SigningEvent]:
    """A document's events in chain order (none for an unknown document)."""
    if type(document_id) is not int or not 1 <= document_id <= MAX_ID:
        return []
    return await SigningEvent.filter(document_id=document_id).order_by("seq")


async def verify(document_id: int | None = None) -> VerifyReport:
    """Walk every chain (or one document's) and name the first broken link of each.

    Reads ``BATCH`` events at a time in (document_id, seq) order, so memory stays flat
    whatever the table's size. Hashing costs about 30 us an event, between the reads (30 ms
    a batch): fine for the command and for one document's chain; a whole-table check
    belongs in ``taxportal audit verify``, not on a server's event loop. The last events
    of a chain removed together leave no trace in the chain itself (see
    docs/architecture.md, "Signing records")."""
    walker = ChainWalker()
    if document_id is not None and (type(document_id) is not int or not 1 <= document_id <= MAX_ID):
        return walker.report
    after = (-1, 0)
    while True:
        sql = Sql()
        where = f"(m.document_id, m.seq) > ({sql.param(after[0])}, {sql.param(after[1])})"
        if document_id is not None:
            where += f" AND m.document_id = {sql.param(document_id)}"
        batch: list[SigningEvent] = await models(
            SigningEvent,
            f"SELECT {columns(SigningEvent, 'm')} FROM signing_event m WHERE {where}"
            f" ORDER BY m.document_id, m.seq LIMIT {BATCH}",
            sql,
        )
        for event in batch:
            walker.feed(event)
        if len(batch) < BATCH:
            return walker.report
        after = (batch[-1].document_id, batch[-1].seq)
