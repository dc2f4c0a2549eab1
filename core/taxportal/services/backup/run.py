"""``backup`` and ``restore``, start to end."""

from __future__ import annotations

import base64
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from tortoise import connections

from taxportal.config import AppConfig
from taxportal.context import Core
from taxportal.crypto import KEY_FILE_NAME, load_or_create_key
from taxportal.private_files import make_private_dir
from taxportal.services.backup import database_copy, sealed_key, stored_files
from taxportal.services.backup.manifest import SEALED_KEY, BadBackup, Manifest

# what the data key protects: (table, column, words for the operator)
KEYED = (
    ("tax_return", "ssn_encrypted", "returns' SSNs (and finding a return by SSN)"),
    ("tax_return", "spouse_ssn_encrypted", "spouses' SSNs"),
    ("tax_return", "birth_date_encrypted", "dates of birth asked before signing"),
    ("tax_return", "prior_year_agi_encrypted", "prior-year AGIs asked before signing"),
    ("staff_user", "totp_secret_encrypted", "staff authenticator set-ups (to redo)"),
)


class NotEmpty(Exception):
    """The place to back up into, or restore into, already holds something."""


@dataclass(frozen=True)
class BackupDone:
    manifest: Manifest
    warnings: list[str]


async def backup(core: Core, dest: Path, passphrase: str | None) -> BackupDone:
    """Copy the database, then every file it names, then (sealed) the key; the manifest
    last. Files removed between the two copies are listed as missing, not an error."""
    _refuse_non_empty(dest)
    make_private_dir(dest)
    warnings: list[str] = []
    database_file = await database_copy.copy_out(core.config.database_url, dest)
    migrations = await _applied_migrations()
    storage = core.plugins.storage
    files: list[stored_files.CopiedFile] = []
    missing: list[str] = []
    if storage is not None:
        for key in await stored_files.keys_named():
            copied = await stored_files.copy_out(storage, key, dest)
            if copied is None:
                missing.append(key)
            else:
                files.append(copied)
    if missing:
        warnings.append(f"{len(missing)} files named by the database were gone from storage")
    key_state = "absent"
    if passphrase is not None:
        secret = core.config.core.security.encryption_key
        key = load_or_create_key(
            secret.get_secret_value() if secret else None, core.config.data_dir
        )
        (dest / SEALED_KEY).write_text(sealed_key.seal(key, passphrase), encoding="utf-8")
        key_state = "sealed"
    else:
        warnings.append(
            "THE BACKUP HOLDS NO DATA KEY: without the key kept elsewhere, the SSNs, signing "
            "facts and authenticator set-ups in it cannot be read"
        )
    manifest = Manifest(
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        database=database_copy.kind_of(core.config.database_url),
        database_file=database_file,
        migrations=migrations,
        key=key_state,
        files=files,
        missing=missing,
    )
    manifest.write(dest)
    return BackupDone(manifest, warnings)


def place_key(config: AppConfig, source: Path, manifest: Manifest, passphrase: str | None) -> str:
    """Before anything opens the data key: write the backup's key into the empty data
    directory. Returns "restored", "configured" (the environment names a key) or
    "absent" (the caller says what that loses)."""
    if config.core.security.encryption_key is not None:
        return "configured"
    if manifest.key != "sealed":
        return "absent"
    if passphrase is None:
        raise sealed_key.WrongPassphrase("this backup's key is sealed: give its passphrase")
    key = sealed_key.unseal((source / SEALED_KEY).read_text(encoding="utf-8"), passphrase)
    make_private_dir(config.data_dir)
    path = config.data_dir / KEY_FILE_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.urlsafe_b64encode(key).decode() + "\n")
    return "restored"


def check_restorable(config: AppConfig, source: Path) -> Manifest:
    manifest = Manifest.read(source)
    if manifest.database != database_copy.kind_of(config.database_url):
        raise BadBackup(
            f"this backup holds a {manifest.database} database; the configuration names "
            f"{database_copy.kind_of(config.database_url)}"
        )
    data_dir = config.data_dir
    if data_dir.exists() and any(data_dir.iterdir()):
        raise NotEmpty(f"{data_dir} is not empty: restore into an empty data directory")
    return manifest


async def restore_files(core: Core, source: Path, manifest: Manifest) -> int:
    storage = core.plugins.storage
    if storage is None:
        raise BadBackup("no storage backend is configured to put the files back into")
    for entry in manifest.files:
        await stored_files.copy_in(storage, source, entry)
    return len(manifest.files)


async def lost_without_key() -> list[str]:
    """What cannot be read without the data key, counted in the restored database."""
    conn = connections.get("default")
    lost = []
    for table, column, words in KEYED:
        rows = await conn.execute_query_dict(
            f"SELECT count(*) AS n FROM {table} WHERE {column} <> ''"  # noqa: S608
        )
        if rows and int(rows[0]["n"]):
            lost.append(f"{int(rows[0]['n'])} {words}")
    return lost


async def _applied_migrations() -> list[str]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT app, name FROM tortoise_migrations ORDER BY id"
    )
    return [f"{r['app']}.{r['name']}" for r in rows]


def _refuse_non_empty(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise NotEmpty(f"{dest} exists and is not empty: back up into a new folder")
