"""The database's part of a backup: SQLite's online backup API (a consistent copy while
the server writes), PostgreSQL's ``pg_dump`` / ``pg_restore`` in their custom format."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"


class DatabaseCopyError(Exception):
    """The database could not be copied or restored; the text says why (no secrets)."""


def kind_of(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite://") else "postgres"


def sqlite_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite://").split("?", 1)[0])


def libpq_url(database_url: str) -> str:
    """tortoise's URL as pg_dump reads it (its pool options are not libpq's)."""
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


async def copy_out(database_url: str, dest: Path) -> str:
    """Write the database into ``dest``; returns the file's name."""
    if kind_of(database_url) == "sqlite":
        await asyncio.to_thread(_sqlite_backup, sqlite_path(database_url), dest / SQLITE_FILE)
        return SQLITE_FILE
    await _run(
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={dest / POSTGRES_FILE}",
        f"--dbname={libpq_url(database_url)}",
    )
    return POSTGRES_FILE


async def copy_in(database_url: str, source: Path) -> None:
    """Restore the backup's database into the configured one, which must be empty."""
    if kind_of(database_url) == "sqlite":
        target = sqlite_path(database_url)
        if target.exists():
            raise DatabaseCopyError(f"{target} exists: restore into an empty place")
        if not (source / SQLITE_FILE).exists():
            raise DatabaseCopyError("this backup holds a PostgreSQL database; configure one")
        target.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(_sqlite_backup, source / SQLITE_FILE, target)
        target.chmod(0o600)
        return
    if not (source / POSTGRES_FILE).exists():
        raise DatabaseCopyError("this backup holds a SQLite database; configure SQLite")
    if await _postgres_tables(database_url):
        raise DatabaseCopyError(
            "the configured PostgreSQL database has tables: restore into an empty one"
        )
    await _run(
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        f"--dbname={libpq_url(database_url)}",
        str(source / POSTGRES_FILE),
    )


def _sqlite_backup(source: Path, target: Path) -> None:
    # read-only on the source: a backup must never change what it copies
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
        with contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst, pages=1024)  # in steps: the server's writers get turns between
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it


async def _postgres_tables(database_url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        )
    finally:
        await conn.close()


async def _run(program: str, *args: str) -> None:
    if shutil.which(program) is None:
        raise DatabaseCopyError(f"{program} is not installed (Debian: postgresql-client)")
    process = await asyncio.create_subprocess_exec(
        program, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        # the first line names the problem; the URL (which may hold a password) is not in it
        first = err.decode(errors="replace").strip().splitlines()[:1]
        raise DatabaseCopyError(f"{program} failed: {first[0] if first else process.returncode}")
