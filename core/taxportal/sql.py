"""Plain SQL for the few hot paths where tortoise's query builder and models cost too much.

Everything else goes through the ORM. Values are always bound as parameters, in the
placeholder style of the connection (``?`` on SQLite, ``$n`` on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tortoise import connections
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionWrapper
from tortoise.models import Model


class Sql:
    """Collects bound values while a statement is written, then runs it.

    ``bounded=True`` marks a read that an index bounds to a few rows of one person (the
    session, a portal's lists): on SQLite, outside a transaction, it runs right here on a
    read-only connection of this thread (``_reader``) instead of through aiosqlite's
    thread, whose two hand-overs cost more than such a read (tens of microseconds) and
    grow with the machine's load.
    """

    def __init__(self, *, bounded: bool = False) -> None:
        self.conn = connections.get("default")
        self.numbered = self.conn.capabilities.dialect == "postgres"
        self.values: list[Any] = []
        self.bounded = bounded

    def param(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.numbered else "?"

    def params(self, values: Sequence[Any]) -> str:
        return ", ".join(self.param(v) for v in values)

    async def rows(self, statement: str) -> list[dict[str, Any]]:
        values, self.values = self.values, []
        if self.bounded and (reader := _reader(self.conn)) is not None:
            try:
                return [dict(row) for row in reader.execute(statement, values)]
            except sqlite3.OperationalError:  # busy for a moment: the usual way
                pass
        return list(await self.conn.execute_query_dict(statement, values))


def _reader(conn: Any) -> sqlite3.Connection | None:
    """This thread's read-only connection to ``conn``'s SQLite file (WAL: a reader never
    waits for the writer, and sees every committed write), or None where it cannot serve:
    PostgreSQL, inside a transaction (its own writes are on its connection), in memory."""
    if type(conn) is not SqliteClient or isinstance(conn, SqliteTransactionWrapper):
        return None
    readers: dict[int, sqlite3.Connection] | None = getattr(conn, "_taxportal_readers", None)
    if readers is None:
        if conn.filename in ("", ":memory:") or conn.filename.startswith("file:"):
            return None
        readers = conn._taxportal_readers = {}  # closed with the client, when it is dropped
    thread = threading.get_ident()
    reader = readers.get(thread)
    if reader is None:
        uri = Path(conn.filename).resolve().as_uri() + "?mode=ro"
        reader = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=True)
        reader.row_factory = sqlite3.Row
        reader.execute("PRAGMA busy_timeout = 50")  # ms; WAL readers are not blocked anyway
        readers[thread] = reader
    return reader


@functools.cache  # fixed for the process: every page's statement would loop over the fields
def columns(model: type[Model], alias: str) -> str:
    """``alias.col AS alias__col, ...`` for every column of ``model``."""
    names = model._meta.fields_db_projection.values()
    return ", ".join(f"{alias}.{name} AS {alias}__{name}" for name in names)


def model_from(model: type[Model], row: dict[str, Any], alias: str) -> Any:
    """The model instance for the ``alias__*`` columns of ``row`` (None when its id is NULL),
    converted exactly as tortoise converts its own query results."""
    keys = _keys(model, alias)
    if row.get(keys[model._meta.db_pk_column]) is None:
        return None
    return model._init_from_db(**{name: row[key] for name, key in keys.items()})


@functools.cache
def _keys(model: type[Model], alias: str) -> dict[str, str]:
    """Column name -> its ``alias__column`` key in a row, for every column of ``model``."""
    return {name: f"{alias}__{name}" for name in model._meta.fields_db_projection.values()}


async def models(model: type[Model], statement: str, sql: Sql) -> list[Any]:
    """The instances of ``model`` for a statement selecting ``columns(model, "m")``."""
    return [model_from(model, row, "m") for row in await sql.rows(statement)]


async def count(statement: str, sql: Sql) -> int:
    """The number a ``SELECT COUNT(*) AS n ...`` statement answers."""
    rows = await sql.rows(statement)
    return int(rows[0]["n"])


def timestamp(value: Any) -> dt.datetime | None:
    """A timestamp column as a datetime in UTC: SQLite hands it back as text, PostgreSQL as
    a datetime."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
