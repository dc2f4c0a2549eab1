"""``/healthz`` and ``/readyz`` as a load balancer sees them: no sign-in, no data in the
answer, and "not ready" with the failing part named when storage or the schema fails."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tortoise import connections

from taxportal.services import health

ANSWER_KEYS = {"status", "checks"}


async def test_a_running_app_is_healthy_and_ready_to_anyone(
    build_app: Any, client_for: Any
) -> None:
    client = await client_for(await build_app())
    health._storage_probe.at = -health.STORAGE_EVERY  # no earlier test's look
    alive = await client.get("/healthz")
    assert alive.status == 200 and await alive.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status == 200
    body = await ready.json()
    assert set(body) == ANSWER_KEYS and body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "storage": "ok", "bus": "ok", "jobs": "ok"}
    assert ready.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in ready.headers  # nothing of a session for a balancer


async def test_storage_that_cannot_be_written_makes_it_not_ready(
    build_app: Any, client_for: Any, tmp_path: Path
) -> None:
    client = await client_for(await build_app())
    files = tmp_path / "data" / "files"
    shutil.rmtree(files, ignore_errors=True)
    files.write_text("a file where the folder was: even root cannot write under it")
    health._storage_probe.at = -health.STORAGE_EVERY
    ready = await client.get("/readyz")
    assert ready.status == 503
    body = await ready.json()
    assert body["status"] == "not_ready" and body["checks"]["storage"] == "not_writable"
    assert body["checks"]["database"] == "ok"


async def test_a_schema_behind_this_server_makes_it_not_ready(
    build_app: Any, client_for: Any
) -> None:
    client = await client_for(await build_app())
    health._storage_probe.at = -health.STORAGE_EVERY
    conn = connections.get("default")
    rows = await conn.execute_query_dict("SELECT * FROM tortoise_migrations ORDER BY id DESC")
    newest = rows[0]
    await conn.execute_query(f"DELETE FROM tortoise_migrations WHERE id = {int(newest['id'])}")  # noqa: S608
    try:
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["checks"]["database"] == "pending_migrations"
    finally:  # the tests' PostgreSQL database outlives this test: put the row back
        columns = list(newest)
        marks = ", ".join(
            f"${i + 1}" if conn.capabilities.dialect == "postgres" else "?"
            for i in range(len(columns))
        )
        await conn.execute_query(
            f"INSERT INTO tortoise_migrations ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            [newest[c] for c in columns],
        )


async def test_a_process_told_to_run_no_jobs_is_still_ready(
    build_app: Any, client_for: Any
) -> None:
    client = await client_for(await build_app(TAXPORTAL_JOBS__WORKER="false"))
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["checks"]["jobs"] == "off"


async def test_a_newer_schema_keeps_a_running_server_ready_but_stops_a_new_start(
    build_app: Any, client_for: Any
) -> None:
    """Upgrades (docs/operations.md): a newer version migrates additively while this one
    still serves; this one stays ready, but a fresh start of it is refused with one line."""
    from tests.accounts import journey
    from tests.uploads.helpers import process_env

    client = await client_for(await build_app())
    health._storage_probe.at = -health.STORAGE_EVERY
    conn = connections.get("default")
    columns = await conn.execute_query_dict("SELECT * FROM tortoise_migrations LIMIT 1")
    row = {**columns[0], "name": "0999_from_the_future"}
    row.pop("id")
    marks = ", ".join(
        f"${i + 1}" if conn.capabilities.dialect == "postgres" else "?" for i in range(len(row))
    )
    await conn.execute_query(
        f"INSERT INTO tortoise_migrations ({', '.join(row)}) VALUES ({marks})",  # noqa: S608
        list(row.values()),
    )
    try:
        ready = await client.get("/readyz")
        assert ready.status == 200, await ready.text()
        # a fresh process of this version (tortoise is one per process: not this one's)
        fresh = subprocess.run(
            [sys.executable, "-m", "taxportal.cli", "audit", "verify"],
            env=process_env(journey.core(client).config),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert fresh.returncode == 2
        assert "migrated by a newer taxportal (taxportal.0999_from_the_future)" in fresh.stderr
        assert "upgrade this host" in fresh.stderr
    finally:
        await conn.execute_query(
            "DELETE FROM tortoise_migrations WHERE name = '0999_from_the_future'"
        )
