"""PostgreSQL: a test's migrated schema is kept aside and reused by the next test.

Copying a database (``CREATE DATABASE ... TEMPLATE``) writes and syncs every page of it,
catalogs included: 0.3 s idle, 2 s on a busy machine. Instead, the run database's first
migration is real, and at the next test the ``database`` fixture renames that schema to
``taxportal_spare`` (if it is still exactly what the migration made: same tables, columns,
indexes, constraints, triggers and functions) and gives the test an empty ``public``; when
the test migrates its empty database, the spare becomes ``public`` again with its rows
deleted and its sequences and change counter as a migration leaves them. Renames, DELETEs
and setvals are catalog and row writes of one transaction each: milliseconds.

Extensions (pg_trgm) stay in ``public`` while a test runs, as a migration expects them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import asyncpg

SPARE = "taxportal_spare"
KEPT_ROWS = {"tortoise_migrations", "change_counter"}  # the rows a migration writes

# Everything a migration defines in a schema, as text: equal text, equal schema.
SHAPE_SQL = """
SELECT md5(coalesce(string_agg(item, '|' ORDER BY item), '')) FROM (
    SELECT concat_ws(':', 'c', c.relname, c.relkind, a.attnum, a.attname, a.atttypid,
                     a.attnotnull, a.attisdropped, pg_get_expr(d.adbin, d.adrelid)) AS item
    FROM pg_class c
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'i:' || pg_get_indexdef(i.indexrelid) FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'k:' || conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT concat_ws(':', 't', pg_get_triggerdef(t.oid), t.tgenabled) FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
    UNION ALL
    SELECT 'f:' || proname || ':' || md5(prosrc) FROM pg_proc
    WHERE pronamespace = 'public'::regnamespace AND oid NOT IN (
        SELECT objid FROM pg_depend WHERE deptype = 'e')
) items
"""


@dataclass(frozen=True)
class Migrated:
    """What a real migration left in ``public``: its shape, sequences and tables."""

    shape: str
    sequences: list[tuple[str, int, bool]]  # name, last_value, is_called
    emptied: list[str]  # tables without rows after migrating
    counted: bool  # has migration 0008's change counter


class PostgresSpare:
    """The spare schema of this process' run database (only this process uses it)."""

    def __init__(self) -> None:
        self.migrated: dict[str, Migrated] = {}  # key of the model modules -> result
        self.spare_key: str | None = None  # whose migration the spare schema holds

    async def empty(self, url: str) -> None:
        """Give the test an empty ``public``, keeping the last test's schema as the spare
        when it is still a migration's."""
        conn = await asyncpg.connect(url)
        try:
            shape = await conn.fetchval(SHAPE_SQL)
            key = next((k for k, m in self.migrated.items() if m.shape == shape), None)
            async with conn.transaction():
                spare = await _has_spare(conn)
                if key is not None:
                    if spare:
                        await conn.execute(f"DROP SCHEMA {SPARE} CASCADE")
                    await conn.execute(f"ALTER SCHEMA public RENAME TO {SPARE}")
                    await conn.execute("CREATE SCHEMA public")
                    await _move_extensions(conn, SPARE, "public")
                    self.spare_key = key
                    return
                if spare:  # the spare's indexes need the extensions: keep them meanwhile
                    await _move_extensions(conn, "public", SPARE)
                await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                if spare:
                    await _move_extensions(conn, SPARE, "public")
        finally:
            await conn.close()

    async def migrate(self, url: str, key: str, migrate: Any) -> bool:
        """Migrate the empty ``public``: the spare, emptied, when it is this key's, else
        ``migrate()`` for real (remembered for the next tests). False: not empty."""
        conn = await asyncpg.connect(url)
        try:
            if not await _is_empty(conn):
                return False
            known = self.migrated.get(key)
            if known is not None and self.spare_key == key and await _has_spare(conn):
                async with conn.transaction():
                    await _move_extensions(conn, "public", SPARE)
                    await conn.execute("DROP SCHEMA public CASCADE")
                    await conn.execute(f"ALTER SCHEMA {SPARE} RENAME TO public")
                    await _clear(conn, known)
                self.spare_key = None
                return True
        finally:
            await conn.close()
        await migrate()
        if key not in self.migrated:
            conn = await asyncpg.connect(url)
            try:
                found = await _describe(conn)
            finally:
                await conn.close()
            if found is not None:
                self.migrated[key] = found
        return True


async def _has_spare(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", SPARE))


async def _is_empty(conn: asyncpg.Connection) -> bool:
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = 'public'::regnamespace)"
    )
    return not found


async def _move_extensions(conn: asyncpg.Connection, source: str, target: str) -> None:
    names = await conn.fetch(
        "SELECT extname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE n.nspname = $1",
        source,
    )
    for row in names:
        await conn.execute(f'ALTER EXTENSION "{row["extname"]}" SET SCHEMA "{target}"')


async def _describe(conn: asyncpg.Connection) -> Migrated | None:
    """The migration just made; None when it wrote rows this module would not restore."""
    tables = [
        r["tablename"]
        for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    emptied = []
    for table in tables:
        if table in KEPT_ROWS:
            continue
        if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):  # noqa: S608
            return None
        emptied.append(table)
    sequences = [
        (r["sequencename"], r["last_value"] or r["start_value"], r["last_value"] is not None)
        for r in await conn.fetch(
            "SELECT sequencename, last_value, start_value FROM pg_sequences"
            " WHERE schemaname = 'public'"
        )
    ]
    shape = await conn.fetchval(SHAPE_SQL)
    return Migrated(shape, sequences, emptied, "change_counter" in tables)


async def _clear(conn: asyncpg.Connection, migrated: Migrated) -> None:
    """The rows a test wrote go; sequences and the change counter start as migrated."""
    # no foreign-key or counter triggers while every table is emptied (in this transaction)
    await conn.execute("SET LOCAL session_replication_role = replica")
    for table in migrated.emptied:
        await conn.execute(f'DELETE FROM "{table}"')  # noqa: S608
    for name, value, called in migrated.sequences:
        await conn.execute("SELECT setval($1::text::regclass, $2, $3)", f'"{name}"', value, called)
    # a new start, as migration 0008 makes: a count remembered for the last test's is not
    # taken for this one's
    if migrated.counted:
        await conn.execute("UPDATE change_counter SET value = $1", secrets.randbelow(2**48))
