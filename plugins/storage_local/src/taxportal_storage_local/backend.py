"""File bytes on the local disk: written to a temporary file, synced, then renamed.

Layout: ``<directory>/<hh>/<name>`` where ``hh`` is the first two hex digits of
the key's SHA-256 (256 folders, even when the core's keys share a prefix) and
``name`` is the key with ``/`` written as ``~`` (so "a" and "a/b" never clash
as file and folder). A put in progress is a hidden ``.<name>.<random>.part``
beside it; readers never see it, and ``os.replace`` swaps it in whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from taxportal.api import check_storage_key, make_private_dir

log = logging.getLogger(__name__)
NAME = "storage_local"
READ_CHUNK = 256 * 1024
WRITE_BUFFER = 1024 * 1024  # small chunks are gathered: one thread hop per MiB, not per chunk
PART_SUFFIX = ".part"


class LocalStorage:
    """The "storage_local" backend. Every file operation runs on a worker thread."""

    name = NAME

    def __init__(self, directory: Path, stale_minutes: float = 60) -> None:
        self.directory = directory
        self.stale_minutes = stale_minutes

    def path_of(self, key: str) -> Path:
        check_storage_key(key)
        folder = hashlib.sha256(key.encode()).hexdigest()[:2]
        return self.directory / folder / key.replace("/", "~")

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> int:
        target = self.path_of(key)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(8)}{PART_SUFFIX}")
        file = await asyncio.to_thread(_open_temp, temp)
        total = 0
        try:
            # the chunks themselves go to the thread: no copying on the event loop
            pending: list[bytes] = []
            pending_size = 0
            async for chunk in chunks:
                pending.append(chunk)
                pending_size += len(chunk)
                total += len(chunk)
                if pending_size >= WRITE_BUFFER:
                    await asyncio.to_thread(file.writelines, pending)
                    pending, pending_size = [], 0
            await asyncio.to_thread(_commit, file, pending, temp, target)
        except BaseException:
            # shielded: a second cancellation must not leave the temporary file behind
            await asyncio.shield(asyncio.to_thread(_discard, file, temp))
            raise
        return total

    async def get(self, key: str) -> AsyncIterator[bytes]:
        path = self.path_of(key)
        try:
            file = await asyncio.to_thread(open, path, "rb")
        except FileNotFoundError:
            raise KeyError(key) from None
        try:
            while chunk := await asyncio.to_thread(file.read, READ_CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(file.close)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_of(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)

    async def size(self, key: str) -> int:
        try:
            stat = await asyncio.to_thread(self.path_of(key).stat)
        except FileNotFoundError:
            raise KeyError(key) from None
        return stat.st_size

    async def start(self) -> None:
        """Called by the core once before serving: clear what a crash left behind."""
        await self.cleanup_partial()

    async def cleanup_partial(self) -> int:
        """Remove temporary files of puts that never finished (a crash, a kill -9).

        Only files untouched for ``stale_minutes`` go: a put in progress writes
        at least once a MiB, which keeps its file's modification time fresh.
        Meant to run at start-up; returns how many files were removed.
        """
        return await asyncio.to_thread(self._cleanup_partial, time.time() - self.stale_minutes * 60)

    async def remove_unfinished(self, before: datetime) -> int:
        """Remove temporary files last written before ``before``, however recent.

        The core calls this once when the server starts, before it serves, with the
        start time: no put of this server can be running yet, so all of them are dead.
        """
        return await asyncio.to_thread(self._cleanup_partial, before.timestamp())

    def _cleanup_partial(self, cutoff: float) -> int:
        removed = 0
        for temp in self.directory.glob(f"*/.*{PART_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
        if removed:
            log.info("removed %d unfinished upload(s) from %s", removed, self.directory)
        return removed


def _open_temp(temp: Path) -> BinaryIO:
    make_private_dir(temp.parent)
    # 0o600: these are taxpayers' documents; O_EXCL: never share a temporary file
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return open(fd, "wb")  # closed by _commit or _discard


def _commit(file: BinaryIO, rest: list[bytes], temp: Path, target: Path) -> None:
    with file:
        file.writelines(rest)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temp, target)
    _sync_directory(target.parent)  # the rename itself survives a power cut


def _discard(file: BinaryIO, temp: Path) -> None:
    with contextlib.suppress(OSError):
        file.close()
    temp.unlink(missing_ok=True)


def _sync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
