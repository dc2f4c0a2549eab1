"""What a crash left of uploads and of the preparer's documents: "uploading" upload rows and
documents still marked ``ADDING`` (with their bytes), the backend's unfinished puts, and
the PDFs spooled under ``<data_dir>/spool``.

``taxportal serve`` runs ``at_server_start`` once, in its first process, before any worker
takes a request (see ``commands/serve.py``): then no upload or add of this server is in
flight, so every such row, put or spool file begun before that moment is a leftover.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from pathlib import Path

from taxportal.config import AppConfig
from taxportal.context import Core
from taxportal.contracts import RemovesUnfinished, StorageBackend
from taxportal.models import PreparerDocument, UploadedFile
from taxportal.runtime import build_core, started
from taxportal.services.documents.preparer import ADDING
from taxportal.services.documents.spool import SPOOL_PREFIX, spool_dir
from taxportal.services.uploads.intake import UPLOADING

log = logging.getLogger(__name__)


async def remove_unfinished(core: Core, before: dt.datetime) -> int:
    """Remove "uploading" upload rows and ``ADDING`` document rows created before ``before``
    with their bytes, ask the storage backend to drop its own unfinished puts begun before
    then, and delete spool files last written before then; returns the rows removed. A row
    whose bytes cannot be deleted now (storage down) stays for next time."""
    storage = core.plugins.storage
    removed = 0
    for upload in await UploadedFile.filter(state=UPLOADING, uploaded_at__lt=before):
        if await _bytes_gone(storage, upload.storage_key):
            removed += await UploadedFile.filter(id=upload.id, state=UPLOADING).delete()
    # only the marker of an add in progress: a document the preparer deleted carries the
    # time of the delete (and its bytes went then), so it is never taken here
    for document in await PreparerDocument.filter(deleted_at=ADDING, added_at__lt=before):
        if await _bytes_gone(storage, document.storage_key):
            removed += await PreparerDocument.filter(id=document.id, deleted_at=ADDING).delete()
    if removed:
        log.info("removed %d unfinished upload(s) or document(s) left by a crash", removed)
    spooled = await asyncio.to_thread(_remove_spooled, spool_dir(core.config.data_dir), before)
    if spooled:
        log.info("removed %d spooled document(s) left by a crash", spooled)
    if isinstance(storage, RemovesUnfinished):
        try:
            await storage.remove_unfinished(before)
        except Exception as exc:  # noqa: BLE001  # the server still starts: stored files are fine
            log.warning("could not clear unfinished puts in %s: %s", storage.name, exc)
    return removed


async def _bytes_gone(storage: StorageBackend | None, key: str) -> bool:
    """Delete a leftover's bytes (missing bytes are no error); False: keep its row (never
    listed) for the next start, the storage being down."""
    if storage is None:
        return True
    try:
        await storage.delete(key)
    except Exception as exc:  # noqa: BLE001  # retried next start
        log.warning("could not delete the bytes of unfinished %s: %s", key, exc)
        return False
    return True


def _remove_spooled(folder: Path, before: dt.datetime) -> int:
    removed = 0
    for path in folder.glob(f"{SPOOL_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < before.timestamp():
                path.unlink()
                removed += 1
    return removed


async def at_server_start(config: AppConfig) -> int:
    """Open the core on its own, clean up, close it again (before the workers start)."""
    before = dt.datetime.now(dt.UTC)
    async with started(build_core(config)) as core:
        return await remove_unfinished(core, before)
