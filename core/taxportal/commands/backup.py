"""`taxportal backup DEST` and `taxportal restore SRC` (services/backup does the work)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from taxportal.config import AppConfig, ConfigError
from taxportal.context import Core
from taxportal.contracts import Closable, Startable
from taxportal.db import apply_migrations, close_database, open_database
from taxportal.runtime import build_core, database_config
from taxportal.services import key_check
from taxportal.services.backup import run
from taxportal.services.backup.database_copy import DatabaseCopyError
from taxportal.services.backup.manifest import BadBackup
from taxportal.services.backup.sealed_key import WrongPassphrase
from taxportal.services.backup.stored_files import FileMismatch

FAILURES = (run.NotEmpty, BadBackup, DatabaseCopyError, WrongPassphrase, FileMismatch, ValueError)


async def backup(args: argparse.Namespace, config: AppConfig) -> int:
    passphrase = _passphrase(args)
    if passphrase is None and not args.without_key:
        raise ConfigError(
            f"set {args.passphrase_env} to a passphrase that seals the data key into the "
            "backup, or give --without-key to leave the key out (keep it safe elsewhere)"
        )
    core = build_core(config)
    try:
        async with _database_and_storage(core):
            done = await run.backup(core, Path(args.dest), passphrase)
    except FAILURES as exc:
        print(f"taxportal: backup failed: {exc}", file=sys.stderr)
        return 1
    manifest = done.manifest
    size = sum(f.size for f in manifest.files)
    print(
        f"Backed up the {manifest.database} database and {len(manifest.files)} files "
        f"({size:,} bytes) to {args.dest}; data key: {manifest.key}."
    )
    for warning in done.warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    return 0


async def restore(args: argparse.Namespace, config: AppConfig) -> int:
    source = Path(args.source)
    try:
        manifest = run.check_restorable(config, source)
        key = run.place_key(config, source, manifest, _passphrase(args))
        if key == "absent" and not args.without_key:
            raise WrongPassphrase(
                "this backup holds no data key: set TAXPORTAL_SECURITY__ENCRYPTION_KEY to the "
                "firm's key, or give --without-key to restore without what it protects"
            )
        from taxportal.services.backup import database_copy

        await database_copy.copy_in(config.database_url, source)
        core = build_core(config)  # after the key is in place: it reads it
        await apply_migrations(database_config(core))  # an older backup meets this version
        async with _database_and_storage(core):
            count = await run.restore_files(core, source, manifest)
            lost = await run.lost_without_key() if key == "absent" else []
            if key == "absent":  # the operator accepted the loss: the new key takes over
                await key_check.forget()
    except FAILURES as exc:
        print(f"taxportal: restore failed: {exc}", file=sys.stderr)
        return 1
    print(f"Restored the {manifest.database} database and {count} files from {source}.")
    if lost:
        print("WITHOUT THE DATA KEY these cannot be read: " + "; ".join(lost), file=sys.stderr)
    return 0


@contextlib.asynccontextmanager
async def _database_and_storage(core: Core) -> AsyncIterator[None]:
    """Only what a copy needs: the database and the storage backend (no plugin start-up,
    no bus, no jobs: a server may be running beside it)."""
    await core.plugins.resolve_backends()
    storage = core.plugins.storage
    await open_database(database_config(core))
    try:
        if isinstance(storage, Startable):  # the signer's keys may be unreadable: not it
            await storage.start()
        try:
            yield
        finally:
            if isinstance(storage, Closable):
                await storage.close()
    finally:
        await close_database()


def _passphrase(args: argparse.Namespace) -> str | None:
    """From the environment only: a command line shows in `ps` and shell history."""
    return os.environ.get(args.passphrase_env) or None
