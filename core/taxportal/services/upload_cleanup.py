"""What a crash left of uploads: "uploading" rows, their bytes, the backend's unfinished puts.

``taxportal serve`` runs ``at_server_start`` once, in its first process, before any worker
takes a request (see ``commands/serve.py``): then no upload of this server is in flight,
so every "uploading" row and every unfinished put begun before that moment is a leftover.
"""

from __future__ import annotations

import datetime as dt
import logging

from taxportal.config import AppConfig
from taxportal.context import Core
from taxportal.models import UploadedFile
from taxportal.runtime import build_core, started

log = logging.getLogger(__name__)
UPLOADING = "uploading"


async def remove_unfinished(core: Core, before: dt.datetime) -> int:
    """Remove "uploading" rows created before ``before`` with their bytes, then ask the
    storage backend to drop its own unfinished puts begun before then; returns the rows
    removed. A row whose bytes cannot be deleted now (storage down) stays for next time."""
    storage = core.plugins.storage
    rows = await UploadedFile.filter(state=UPLOADING, uploaded_at__lt=before)
    removed = 0
    for row in rows:
        if storage is not None:
            try:
                await storage.delete(row.storage_key)  # missing bytes are no error
            except Exception as exc:  # noqa: BLE001  # keep the row (never listed): retried next start
                log.warning("could not delete the bytes of unfinished upload %s: %s", row.id, exc)
                continue
        removed += await UploadedFile.filter(id=row.id, state=UPLOADING).delete()
    if removed:
        log.info("removed %d unfinished upload(s) left by a crash", removed)
    leftovers = getattr(storage, "remove_unfinished", None)
    if callable(leftovers):
        try:
            await leftovers(before)
        except Exception as exc:  # noqa: BLE001  # the server still starts: stored files are fine
            log.warning("could not clear unfinished puts in %s: %s", storage.name, exc)
    return removed


async def at_server_start(config: AppConfig) -> int:
    """Open the core on its own, clean up, close it again (before the workers start)."""
    before = dt.datetime.now(dt.UTC)
    async with started(build_core(config)) as core:
        return await remove_unfinished(core, before)
