"""Plain SQL for the few hot paths where tortoise's query builder and models cost too much.

Everything else goes through the ORM. Values are always bound as parameters, in the
placeholder style of the connection (``?`` on SQLite, ``$n`` on PostgreSQL).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.models import Model


class Sql:
    """Collects bound values while a statement is written, then runs it."""

    def __init__(self) -> None:
        self.conn = connections.get("default")
        self.numbered = self.conn.capabilities.dialect == "postgres"
        self.values: list[Any] = []

    def param(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.numbered else "?"

    def params(self, values: Sequence[Any]) -> str:
        return ", ".join(self.param(v) for v in values)

    async def rows(self, statement: str) -> list[dict[str, Any]]:
        values, self.values = self.values, []
        return list(await self.conn.execute_query_dict(statement, values))


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
