"""Migrated databases for tests, made once per test process and copied for each test.

Migrating costs seconds; copying a migrated database costs milliseconds. The first test that
migrates an empty database with a given set of model modules migrates a template instead, for
real, and every empty database migrated with the same modules after it is a copy of that
template: on SQLite the template's file, on PostgreSQL the last test's schema, emptied
(tests/postgres_spare.py).
A database that is not empty (a second app on one database, a test that migrated through the
CLI) is migrated for real, as any database URL this module does not manage is.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from taxportal.db import apply_migrations
from tests.postgres_spare import PostgresSpare


class DatabaseCopies:
    """Templates of this process, one per backend and set of model modules."""

    def __init__(self, directory: Path, postgres_url: str) -> None:
        self.directory = directory
        self.postgres_url = postgres_url  # the only PostgreSQL database reused: this run's
        self.postgres = PostgresSpare()
        self.templates: dict[str, str] = {}  # key -> SQLite template file

    async def empty_postgres(self, url: str) -> None:
        await self.postgres.empty(url)

    async def migrate(self, tconfig: dict[str, Any]) -> bool:
        """Make the database of ``tconfig`` a migrated copy; False when it is not ours to
        copy into (not empty, not a plain file or this run's PostgreSQL database)."""
        connection = tconfig["connections"]["default"]
        if isinstance(connection, str):
            return await self._sqlite(tconfig, connection)
        if connection.get("engine") == "tortoise.backends.asyncpg":
            return await self._postgres(tconfig, connection)
        return False

    async def _sqlite(self, tconfig: dict[str, Any], url: str) -> bool:
        path = Path(url.removeprefix("sqlite://"))
        if not url.startswith("sqlite://") or "?" in url or str(path) == ":memory:":
            return False
        if path.exists() and path.stat().st_size > 0:
            return False  # someone's data: never overwritten
        key = _key("sqlite", tconfig)
        template = self.templates.get(key)
        if template is None:
            template = str(self.directory / f"template-{len(self.templates)}.sqlite3")
            await apply_migrations(_with_connection(tconfig, f"sqlite://{template}"))
            _checkpoint(Path(template))
            self.templates[key] = template
        shutil.copy(template, path)  # the file alone: the template's WAL is checkpointed
        path.chmod(0o600)  # the mode taxportal gives its database (private_files)
        return True

    async def _postgres(self, tconfig: dict[str, Any], connection: dict[str, Any]) -> bool:
        if connection["credentials"].get("database") != self.postgres_url.rsplit("/", 1)[1]:
            return False
        return await self.postgres.migrate(
            self.postgres_url,
            _key("postgres", tconfig),
            lambda: apply_migrations(tconfig),
        )


def _key(backend: str, tconfig: dict[str, Any]) -> str:
    """What a migration's result depends on besides the database: the apps and modules."""
    return backend + json.dumps(tconfig["apps"], sort_keys=True)


def _with_connection(tconfig: dict[str, Any], connection: Any) -> dict[str, Any]:
    return {**tconfig, "connections": {"default": connection}}


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so the file alone is the whole database."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if leftover.exists() and leftover.stat().st_size:
            raise RuntimeError(f"{leftover} is not empty after a checkpoint")
        leftover.unlink(missing_ok=True)


current: DatabaseCopies | None = None  # this test session's, set by conftest.py


def process_directory(base: Path) -> Path:
    directory = base / f"templates-{os.getpid()}"
    directory.mkdir(parents=True, exist_ok=True)
    return directory
