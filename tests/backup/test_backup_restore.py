"""`taxportal backup` while the server runs, then `taxportal restore` elsewhere: every row
of every table and every stored file's SHA-256 come back, on both databases; the data key
only ever travels sealed, and a restore without it says what is lost."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from taxportal.services.documents import preparer
from taxportal.services.documents.access import Principal
from taxportal_chat import conversation
from taxportal_chat.conversation import Author
from taxportal_chat.settings import ChatSettings
from tests.accounts import journey
from tests.chat.conftest import PLUGINS, taxpayer_on
from tests.conftest import POSTGRES_ADMIN_URL
from tests.my_files.conftest import JPEG, PDF, put_file
from tests.signing_pdf import documents

PASSPHRASE = "correct horse battery staple"


async def chunks(data: bytes) -> Any:
    yield data


async def a_firm_with_data(build_app: Any, client_for: Any) -> Any:
    """A portal with uploads, a sent document and messages; the app keeps running."""
    # no job worker: the rows compared after the restore must be the rows backed up (a job
    # finishing meanwhile, e.g. a chat system line, would differ from the copy, rightly)
    client = await client_for(
        await build_app(TAXPORTAL_PLUGINS__ENABLED=PLUGINS, TAXPORTAL_JOBS__WORKER="false")
    )
    sherry = await taxpayer_on(client)
    for name, data in (("W-2.pdf", PDF), ("receipt.jpg", JPEG)):
        status, _ = await put_file(client, name, data)
        assert status == 201
    core = journey.core(client)
    staff = Principal("staff", 1, "127.0.0.1")
    from taxportal.models import Portal

    portal = await Portal.get(id=sherry.portal_id)
    document = await preparer.add(
        core, staff, portal.tax_return_id, "8879.pdf", chunks(documents.form_8879())
    )  # type: ignore[attr-defined]
    await preparer.send(
        core, staff, portal.tax_return_id, [preparer.Pick(document.id, ("taxpayer",))]
    )  # type: ignore[attr-defined]
    await conversation.post(
        core, ChatSettings(), sherry.portal_id, Author("staff", 1, "Ana"), "Hola"
    )
    return client


def command(config: Any, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    from tests.uploads.helpers import process_env

    return subprocess.run(
        [sys.executable, "-m", "taxportal.cli", *args],
        env=process_env(config, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def restored_config(make_config: Any, tmp_path: Path, database_url: str) -> Any:
    return make_config(
        database_url,
        TAXPORTAL_SERVER__DATA_DIR=str(tmp_path / "restored"),
        TAXPORTAL_PLUGINS__ENABLED=PLUGINS,
    )


@pytest.fixture
async def empty_database(database: str, tmp_path: Path) -> Any:
    """An empty database of the same kind to restore into (SQLite: the new data dir's)."""
    if database.startswith("sqlite"):
        yield ""
        return
    name = f"taxportal_restore_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://")
            + f"/{name}"
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def rows_of(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite://").split("?")[0]
        with sqlite3.connect(path) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}  # type: ignore[misc]  # noqa: S608
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://").split("?")[0])
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        ]
        return {
            t: sorted(repr(tuple(r)) for r in await conn.fetch(f'SELECT * FROM "{t}"'))  # noqa: S608
            for t in tables
        }  # type: ignore[misc]
    finally:
        await conn.close()


def file_hashes(files_dir: Path) -> dict[str, str]:
    return {
        str(p.relative_to(files_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files_dir.rglob("*")
        if p.is_file()
    }


async def test_a_backup_taken_while_serving_restores_every_row_and_file(
    build_app: Any, client_for: Any, make_config: Any, tmp_path: Path, empty_database: str
) -> None:
    client = await a_firm_with_data(build_app, client_for)
    config = journey.core(client).config
    dest = tmp_path / "backup"
    done = command(config, "backup", str(dest), TAXPORTAL_BACKUP_PASSPHRASE=PASSPHRASE)
    assert done.returncode == 0, done.stderr
    assert "3 files" in done.stdout and "data key: sealed" in done.stdout
    key_text = (config.data_dir / "encryption.key").read_text().strip()
    for path in dest.rglob("*"):  # the key is never in the backup in the clear
        if path.is_file():
            assert key_text.encode() not in path.read_bytes(), path

    target = restored_config(make_config, tmp_path, empty_database)
    wrong = command(target, "restore", str(dest), TAXPORTAL_BACKUP_PASSPHRASE="not the passphrase")
    assert wrong.returncode == 1 and "passphrase" in wrong.stderr
    assert not target.data_dir.exists() or not any(target.data_dir.iterdir())  # nothing done

    restored = command(target, "restore", str(dest), TAXPORTAL_BACKUP_PASSPHRASE=PASSPHRASE)
    assert restored.returncode == 0, restored.stderr
    assert "3 files" in restored.stdout

    assert await rows_of(target.database_url) == await rows_of(config.database_url)
    original = file_hashes(config.data_dir / "files")
    assert len(original) == 3 and file_hashes(target.data_dir / "files") == original
    assert (target.data_dir / "encryption.key").read_text().strip() == key_text
    assert oct((target.data_dir / "encryption.key").stat().st_mode & 0o777) == "0o600"

    again = command(target, "restore", str(dest), TAXPORTAL_BACKUP_PASSPHRASE=PASSPHRASE)
    assert again.returncode == 1 and "not empty" in again.stderr  # never over live data


async def test_without_the_key_the_backup_warns_and_the_restore_names_what_is_lost(
    build_app: Any, client_for: Any, make_config: Any, tmp_path: Path, empty_database: str
) -> None:
    client = await a_firm_with_data(build_app, client_for)
    config = journey.core(client).config
    dest = tmp_path / "backup"
    refused = command(config, "backup", str(dest))
    assert refused.returncode == 2 and "--without-key" in refused.stderr
    done = command(config, "backup", str(dest), "--without-key")
    assert done.returncode == 0 and "HOLDS NO DATA KEY" in done.stderr
    target = restored_config(make_config, tmp_path, empty_database)
    asked = command(target, "restore", str(dest))
    assert asked.returncode == 1 and "--without-key" in asked.stderr
    restored = command(target, "restore", str(dest), "--without-key")
    assert restored.returncode == 0, restored.stderr
    assert "WITHOUT THE DATA KEY" in restored.stderr and "1 returns' SSNs" in restored.stderr
    assert file_hashes(target.data_dir / "files") == file_hashes(config.data_dir / "files")
    assert "400-12-3497" not in restored.stdout + restored.stderr
