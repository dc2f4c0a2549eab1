"""Database set-up: the tortoise configuration, migrations and the start-up check."""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.exceptions import OperationalError
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.migrations.executor import MigrationExecutor

from taxportal.config import AppConfig, ConfigError
from taxportal.contracts import ModelModule
from taxportal.private_files import create_private_file, make_private_dir

CORE_MODELS = ModelModule(
    app_label="taxportal", models=("taxportal.models",), migrations="taxportal.migrations"
)


SQLITE_NEEDED = (3, 35)  # RETURNING


class UnmigratedDatabase(ConfigError):
    """The database schema is behind the code."""


class NewerDatabase(ConfigError):
    """The database was migrated by a newer version than this one."""


def tortoise_config(config: AppConfig, extra: list[ModelModule]) -> dict[str, Any]:
    apps = {
        module.app_label: {
            "models": list(module.models),
            "migrations": module.migrations,
            "default_connection": "default",
        }
        for module in [CORE_MODELS, *extra]
    }
    return {"connections": {"default": _connection(config)}, "apps": apps, "use_tz": True}


def _connection(config: AppConfig) -> str | dict[str, Any]:
    url = config.database_url
    if url.startswith("sqlite://"):
        _check_sqlite_version()
        make_private_dir(config.data_dir)
        database = url.removeprefix("sqlite://").split("?")[0]
        if database and database != ":memory:":
            make_private_dir(Path(database).parent)
            create_private_file(Path(database))  # 0600 before SQLite makes it 0644
        return url
    connection = expand_db_url(url)
    if connection["engine"] == "tortoise.backends.asyncpg":
        connection["credentials"]["reset"] = _skip_session_reset
    return connection


def _check_sqlite_version() -> None:
    """Lockouts and throttles count in one UPDATE/INSERT ... RETURNING: SQLite 3.35 or newer."""
    if sqlite3.sqlite_version_info < SQLITE_NEEDED:
        needed = ".".join(map(str, SQLITE_NEEDED))
        raise ConfigError(
            f"SQLite {needed} or newer is needed (this Python has {sqlite3.sqlite_version}): "
            "use a newer Python, or PostgreSQL"
        )


async def _skip_session_reset(connection: Any) -> None:
    """A PostgreSQL connection back in the pool keeps its session as it is.

    asyncpg's default reset drops advisory locks, cursors, LISTENs and SETs (taxportal uses
    none) in one more round trip after every query: a sixth of the database's CPU on a
    client-list page. A transaction left open is still rolled back: asyncpg does that itself
    before calling this (tests/core/test_database_pool.py)."""


async def pending_migrations(tconfig: dict[str, Any]) -> list[str]:
    """Names of migrations not yet applied (Tortoise must be initialised)."""
    executor = MigrationExecutor(get_connection("default"), tconfig["apps"])
    steps = await executor.plan(None)
    return [
        f"{step.migration.app_label}.{step.migration.name}" for step in steps if not step.backward
    ]


async def unknown_migrations(tconfig: dict[str, Any]) -> list[str]:
    """Migrations applied to the database that this version does not have (a newer
    version migrated it), for the apps this version runs."""
    try:
        rows = await get_connection("default").execute_query_dict(
            "SELECT app, name FROM tortoise_migrations ORDER BY id"
        )
    except OperationalError:  # never migrated: the pending check says so
        return []
    known = {label: _migration_names(app["migrations"]) for label, app in tconfig["apps"].items()}
    return [
        f"{r['app']}.{r['name']}"
        for r in rows
        if r["app"] in known and r["name"] not in known[r["app"]]
    ]


def _migration_names(package: str) -> set[str]:
    module = importlib.import_module(package)
    return {info.name for info in pkgutil.iter_modules(module.__path__) if info.name[:4].isdigit()}


async def open_database(tconfig: dict[str, Any]) -> None:
    """Connect, and refuse to go on when migrations are pending or unknown."""
    await Tortoise.init(config=tconfig, _enable_global_fallback=True)
    newer = await unknown_migrations(tconfig)
    if newer:
        await Tortoise.close_connections()
        raise NewerDatabase(
            f"the database was migrated by a newer taxportal ({newer[-1]}); "
            "upgrade this host to the version the others run"
        )
    pending = await pending_migrations(tconfig)
    if pending:
        await Tortoise.close_connections()
        raise UnmigratedDatabase(
            f"the database is not migrated ({len(pending)} pending: {pending[0]}...); "
            "run: taxportal migrate"
        )


async def close_database() -> None:
    await Tortoise.close_connections()


async def apply_migrations(tconfig: dict[str, Any]) -> list[str]:
    """Apply every pending migration; returns what was applied."""
    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(f"{app_label}.{name}")

    try:
        await tortoise_migrate(config=tconfig, progress=progress)
    finally:
        await Tortoise.close_connections()  # also on failure, or the process never exits
    return applied
