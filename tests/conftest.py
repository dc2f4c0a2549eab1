"""Fixtures shared by the whole suite: configs, migrated databases, apps and signed-in clients."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import CookieJar, web
from aiohttp.test_utils import TestClient
from tortoise.backends.base.executor import EXECUTOR_CACHE

from taxportal.app import create_app
from taxportal.config import AppConfig, load_config
from taxportal.services.returns import client_list
from taxportal.services.returns import records as returns
from taxportal.testing import portal as portal_testing
from taxportal.web.keys import CORE
from tests import database_copies
from tests.support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    OPTIONAL_PLUGINS_OFF,
    fast_passwords,
    migrate,
    server_clock,
    sign_in,
)

# The server's `test` database is only the door: each test run works in a database of its
# own, so two runs at once (two developers, a developer and CI) never reset each other's.
POSTGRES_ADMIN_URL = os.environ.get(
    "TAXPORTAL_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"
)
RUN_DATABASE = f"taxportal_test_{os.getpid()}"
POSTGRES_URL = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + RUN_DATABASE


def _admin(statement: str) -> None:
    """Runs on its own thread and loop: a test's event loop may already be running."""

    async def execute() -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, execute()).result()


@pytest.fixture(scope="session", autouse=True)
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each backend is migrated once per process; tests get copies (tests/database_copies.py)."""
    copies = database_copies.DatabaseCopies(
        database_copies.process_directory(tmp_path_factory.getbasetemp()), POSTGRES_URL
    )
    database_copies.current = copies
    portal_testing.share_templates(copies.migrate)  # taxportal.testing's apps copy them too
    yield
    portal_testing.share_templates(None)
    database_copies.current = None


@pytest.fixture(scope="session")
def postgres_run_database() -> Iterator[str]:
    """Creates this run's database once and drops it at the end."""
    _admin(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}"')
    _admin(f'CREATE DATABASE "{RUN_DATABASE}"')
    yield POSTGRES_URL
    _admin(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}" WITH (FORCE)')


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--databases",
        default="sqlite,postgres",
        help="comma-separated database backends to run the database tests on",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" in metafunc.fixturenames:
        backends = metafunc.config.getoption("--databases").split(",")
        metafunc.parametrize("database", backends, indirect=True)


@pytest.fixture
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL on a fresh, empty database: SQLite in tmp_path, or PostgreSQL."""
    # tortoise caches SQL per connection name, not per dialect: one process, two dialects.
    EXECUTOR_CACHE.clear()
    # Copies of one template share its change counter: counts and years remembered by this
    # process for the last test's database must not be taken for this one's.
    client_list._counts.clear()
    returns.forget_tax_years()
    if request.param == "postgres":
        request.getfixturevalue("postgres_run_database")
        assert database_copies.current is not None
        await database_copies.current.empty_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite://{tmp_path / 'db.sqlite3'}"


@pytest.fixture(autouse=True)
def _real_time_server_clock() -> None:
    """Each test starts with the apps' clock on real time (fresh_code may move it on)."""
    server_clock.offset = 0.0


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., AppConfig]:
    """Config on tmp_path with the outbox notifiers; extra values as TAXPORTAL_* style env."""

    def make(database_url: str = "", **env: str) -> AppConfig:
        values = {
            "TAXPORTAL_SERVER__DATA_DIR": str(tmp_path / "data"),
            "TAXPORTAL_FIRM__NAME": "Evans Tax Service",
            "TAXPORTAL_SERVER__BASE_URL": "http://portal.test",
        }
        if database_url:
            values["TAXPORTAL_DATABASE__URL"] = database_url
        values.update(env)
        if "TAXPORTAL_PLUGINS__ENABLED" not in values:
            # the signer (keys, a pool) and chat (its tables): only the tests that use them ask
            disabled = json.loads(values.get("TAXPORTAL_PLUGINS__DISABLED", "[]"))
            off = json.loads(OPTIONAL_PLUGINS_OFF)
            values["TAXPORTAL_PLUGINS__DISABLED"] = json.dumps([*disabled, *off])
        return load_config(path=None, env=values)

    return make


@pytest.fixture
def build_app(make_config: Callable[..., AppConfig], database: str) -> Callable[..., Any]:
    """Returns an async factory: migrated database + app with its own plugin manager."""

    async def build(*extra_plugins: object, **env: str) -> web.Application:
        config = make_config(database, **env)
        await migrate(config, extra_plugins)
        app = create_app(config, extra_plugins=extra_plugins, passwords=fast_passwords())
        app[CORE].clock = server_clock
        return app

    return build


@pytest.fixture
async def client_for(aiohttp_client: Any) -> Callable[..., Any]:
    async def make(app: web.Application) -> TestClient:
        return await aiohttp_client(app, cookie_jar=CookieJar(unsafe=True))

    return make


@pytest.fixture
async def staff_client(build_app: Callable[..., Any], client_for: Callable[..., Any]) -> TestClient:
    """A signed-in admin on a fresh app (outbox notifiers): password, authenticator set up
    through /staff/2fa with a pyotp code, so the console shows client data."""
    from taxportal.services.accounts import staff as staff_service
    from taxportal.web.keys import CORE

    app = await build_app()
    client = await client_for(app)
    await staff_service.add_staff(app[CORE], ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    await sign_in(client)
    return client


@pytest.fixture
def core_of() -> Callable[[TestClient], Any]:
    from taxportal.web.keys import CORE

    return lambda client: client.app[CORE]


@pytest.fixture
def started(build_app: Callable[..., Any], client_for: Callable[..., Any]) -> Callable[..., Any]:
    """An app core with its backends resolved (the app runs under a test client)."""

    async def make(*plugins: object, **env: str) -> Any:
        app = await build_app(*plugins, **env)
        await client_for(app)
        return app[CORE]

    return make
