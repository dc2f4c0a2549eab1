"""The stored files' part of a backup: every key the database names, copied out of the
storage backend with its SHA-256, and put back, checked against it."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from tortoise import connections

from taxportal.contracts import StorageBackend, check_storage_key

FILES_DIR = "files"
CHUNK = 1024 * 1024
# every column that names bytes in the storage backend (a signing in flight included)
KEY_COLUMNS = (
    ("uploaded_file", "storage_key"),
    ("preparer_document", "storage_key"),
    ("preparer_document", "signing_key"),
    ("signed_copy", "storage_key"),
)


class FileMismatch(Exception):
    """A file in the backup is not what the manifest says (altered or cut short)."""


@dataclass(frozen=True)
class CopiedFile:
    key: str
    size: int
    sha256: str


async def keys_named() -> list[str]:
    """The storage keys the database names, sorted."""
    conn = connections.get("default")
    found: set[str] = set()
    for table, column in KEY_COLUMNS:
        rows = await conn.execute_query_dict(
            f"SELECT {column} AS k FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
        )
        found.update(row["k"] for row in rows if row["k"])
    return sorted(found)


async def copy_out(storage: StorageBackend, key: str, dest: Path) -> CopiedFile | None:
    """Copy one key's bytes to ``dest/files/<key>``; None when the storage no longer has
    it (deleted since the database was copied)."""
    check_storage_key(key)
    if not await storage.exists(key):
        return None
    target = dest / FILES_DIR / key
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        async for chunk in storage.get(key):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return CopiedFile(key, size, digest.hexdigest())


async def copy_in(storage: StorageBackend, source: Path, entry: CopiedFile) -> None:
    """Put one file back under its key, refusing bytes whose SHA-256 differs."""
    check_storage_key(entry.key)
    path = source / FILES_DIR / entry.key
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != entry.sha256:
        raise FileMismatch(f"{entry.key}: its SHA-256 differs from the manifest's")
    await storage.put(entry.key, _chunks(path))


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk
