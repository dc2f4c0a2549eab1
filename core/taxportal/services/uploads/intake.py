""" "My Files": the taxpayer's uploads, streamed into the storage plugin in constant memory.

The bytes go to ``core.plugins.storage`` under a key the core makes; the file name is
kept as given (only displayed, escaped). While the bytes stream, the type is judged
from the first bytes, the per-file and per-portal caps are enforced and the SHA-256
is computed (``uploads_stream``). Every public function takes who is asking (a
``Principal``) and the owning portal's id and passes the one access check
(``document_access.check``, which also writes the activity log); a file is found by its id
first and checked against its REAL portal (``_checked``), so another portal's file is a
logged denial and ``NotFound``. ``count_files`` (Home's card, the asker's own portal only)
is the one read without a log entry.

An upload is a row in state "uploading" first (never listed, never a duplicate, never
downloadable), then the bytes, then the flip to "stored"; any failure removes the row
and the bytes, and a crash's leftovers go at the next start (``upload_cleanup``). The
flip happens under a per-portal lock (``_finish``), so the quota and the duplicate
check hold for uploads running at the same time, in one process or several.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from tortoise.expressions import F

from taxportal import metrics
from taxportal.bus import atomic
from taxportal.context import Core
from taxportal.contracts import StorageBackend
from taxportal.events import FileUploaded
from taxportal.models import Portal, UploadedFile
from taxportal.services import activity
from taxportal.services.documents import access as document_access
from taxportal.services.documents.access import Principal
from taxportal.services.uploads.stream import (
    CONTENT_TYPES,
    MB,
    NAME_MAX,
    Stream,
    UploadError,
    allowed_kinds,
    clean_name,
    forget,
    quota_error,
    sniff,
)
from taxportal.sql import Sql, columns, count, models, timestamp

__all__ = [
    "CONTENT_TYPES",
    "NAME_MAX",
    "ListedFile",
    "NotFound",
    "UploadError",
    "UploadResult",
    "allowed_kinds",
    "clean_name",
    "count_files",
    "count_sql",
    "get_file",
    "list_files",
    "listed_files",
    "mark_reviewed",
    "open_stream",
    "remove",
    "sniff",
    "upload",
]

log = logging.getLogger(__name__)
UPLOADING = "uploading"
STORED = "stored"


class NotFound(LookupError):
    """No such file in this portal (another portal's file id included): a 404."""


@dataclass(frozen=True)
class UploadResult:
    """``status`` is "stored" (``file`` is the new row) or "duplicate" (``file`` is the
    earlier upload of the same bytes, whose name is ``duplicate_of``)."""

    status: str
    file: UploadedFile
    duplicate_of: str = ""


def _storage(core: Core) -> StorageBackend:
    if core.plugins.storage is None:
        raise UploadError("no_storage", "File storage is not set up: no storage plugin is enabled.")
    return core.plugins.storage


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _check(
    principal: Principal, action: document_access.Action, portal_id: int, **ids: int
) -> None:
    try:
        await document_access.check(principal, action, "upload", portal_id=portal_id, **ids)
    except document_access.Denied:
        raise NotFound(ids.get("file_id")) from None


def _visible(portal_id: int, **filters: object):  # type: ignore[no-untyped-def]
    """The portal's files a person may see: stored (not half uploaded) and not removed."""
    return UploadedFile.filter(
        portal_id=portal_id, state=STORED, deleted_at__isnull=True, **filters
    )


async def _used_bytes(portal_id: int) -> int:
    sizes = await _visible(portal_id).values_list("size", flat=True)
    return sum(int(s) for s in sizes)


async def upload(
    core: Core,
    principal: Principal,
    portal_id: int,
    file_name: str,
    chunks: AsyncIterator[bytes],
) -> UploadResult:
    """Stream one file into storage and record it, or raise UploadError leaving nothing."""
    with metrics.timed(metrics.UPLOAD_SECONDS) as outcome:
        try:
            result = await _upload(core, principal, portal_id, file_name, chunks)
        except UploadError:
            outcome["outcome"] = "refused"
            raise
        outcome["outcome"] = "stored"
        return result


async def _upload(
    core: Core,
    principal: Principal,
    portal_id: int,
    file_name: str,
    chunks: AsyncIterator[bytes],
) -> UploadResult:
    await _check(principal, "upload", portal_id)
    name = clean_name(file_name)
    storage = _storage(core)
    settings = core.config.core.uploads
    quota = int(settings.max_portal_mb * MB)
    # an early cut-off only: the binding quota check is _finish's, under the portal lock
    room = quota - await _used_bytes(portal_id)
    stream = Stream(chunks, allowed_kinds(core.config), int(settings.max_file_mb * MB), room)
    row = await UploadedFile.create(
        portal_id=portal_id,
        storage_key=f"u/{portal_id}/{secrets.token_hex(16)}",
        file_name=name,
        content_type="",
        size=0,
        sha256="",
        state=UPLOADING,
    )
    try:
        await storage.put(row.storage_key, stream.__aiter__())
    except BaseException as exc:
        # shielded: a cancelled upload (client gone) still removes its row and bytes
        await asyncio.shield(_discard(storage, row))
        if isinstance(exc, Exception):
            await _refused_or_failed(principal, portal_id, storage, stream, exc)
        raise
    try:
        earlier = await _finish(row, stream, quota)
    except BaseException as exc:
        await asyncio.shield(_discard(storage, row))
        if isinstance(exc, UploadError):
            await _record(principal, portal_id, "file_refused", reason=exc.kind)
        raise
    if earlier is not None:
        await _discard(storage, row)
        await _record(principal, portal_id, "file_duplicate", file_id=earlier.id)
        return UploadResult("duplicate", earlier, earlier.file_name)
    await _record(
        principal,
        portal_id,
        "file_uploaded",
        file_id=row.id,
        size=row.size,
        content_type=row.content_type,
    )
    await core.plugins.emit(FileUploaded(portal_id, row.id))
    return UploadResult("stored", row)


async def _finish(row: UploadedFile, stream: Stream, quota: int) -> UploadedFile | None:
    """Flip the row to "stored", or return the earlier stored copy of the same bytes, or
    raise the quota refusal; decided under the portal's lock, with the bytes already in."""
    digest = await stream.hexdigest()
    async with atomic():
        # The lock: a no-op UPDATE of the portal row. PostgreSQL holds its row lock and
        # SQLite its write lock until commit, so finishes for one portal run one at a time,
        # across processes too, and each sees what the previous one stored.
        await Portal.filter(id=row.portal_id).update(failed_registrations=F("failed_registrations"))
        earlier = await _visible(row.portal_id, sha256=digest).order_by("id").first()
        if earlier is not None:
            return earlier
        if await _used_bytes(row.portal_id) + stream.size > quota:
            raise quota_error()
        changed = await UploadedFile.filter(id=row.id, state=UPLOADING).update(
            state=STORED, size=stream.size, sha256=digest, content_type=stream.content_type
        )
    if not changed:  # a start-up cleanup of another server took the row: start again
        raise UploadError("storage", "The file could not be stored. Please try again.")
    row.state, row.size, row.sha256 = STORED, stream.size, digest
    row.content_type = stream.content_type
    return None


async def _refused_or_failed(
    principal: Principal, portal_id: int, storage: StorageBackend, stream: Stream, exc: Exception
) -> None:
    """Log why put() stopped; raises the UploadError the taxpayer is shown."""
    if stream.refusal is not None:
        await _record(principal, portal_id, "file_refused", reason=stream.refusal.kind)
        raise stream.refusal from None
    log.exception("storage %s failed to store an upload for portal %s", storage.name, portal_id)
    await _record(principal, portal_id, "file_upload_failed", reason=type(exc).__name__)
    raise UploadError(
        "storage", "The file could not be stored. Please try again in a few minutes."
    ) from exc


async def _record(principal: Principal, portal_id: int, action: str, **detail: object) -> None:
    await activity.record(
        action,
        actor=principal.actor,
        subject=f"portal:{portal_id}",
        address=principal.address,
        **detail,
    )


async def _discard(storage: StorageBackend, row: UploadedFile) -> None:
    """Remove a failed or losing upload: its bytes (if any arrived), then its row."""
    await forget(storage, row.storage_key)
    try:
        await UploadedFile.filter(id=row.id, state=UPLOADING).delete()
    except Exception:  # already failing: the start-up cleanup removes the row later
        log.exception("could not remove the unfinished upload row %s", row.id)


NEWEST_FIRST = " ORDER BY m.uploaded_at DESC, m.id DESC"


def _listed(sql: Sql, what: str, portal_id: int) -> str:
    """``_visible`` in plain SQL, for what every visit of Home and "My Files" reads."""
    return (
        f"SELECT {what} FROM uploaded_file m WHERE m.portal_id = {sql.param(portal_id)} "  # noqa: S608
        f"AND m.state = {sql.param(STORED)} AND m.deleted_at IS NULL"
    )


async def list_files(principal: Principal, portal_id: int) -> list[UploadedFile]:
    """The portal's files, newest first (removed ones left out)."""
    await _check(principal, "list", portal_id)
    sql = Sql(bounded=True)
    statement = _listed(sql, columns(UploadedFile, "m"), portal_id)
    return await models(UploadedFile, statement + NEWEST_FIRST, sql)


@dataclass(frozen=True, slots=True)
class ListedFile:
    """What "My Files" shows of a file (not a model: built straight from the row)."""

    id: int
    file_name: str
    size: int
    uploaded_at: dt.datetime
    opened_by_preparer_at: dt.datetime | None


async def listed_files(principal: Principal, portal_id: int) -> list[ListedFile]:
    """``list_files`` with only what the taxpayer's list shows: every visit of My Files
    reads it, and building a model per file was a tenth of the page."""
    await _check(principal, "list", portal_id)
    sql = Sql(bounded=True)
    what = "m.id, m.file_name, m.size, m.uploaded_at, m.opened_by_preparer_at"
    return [
        ListedFile(
            row["id"],
            row["file_name"],
            row["size"],
            timestamp(row["uploaded_at"]),  # type: ignore[arg-type]  # NOT NULL
            timestamp(row["opened_by_preparer_at"]),
        )
        for row in await sql.rows(_listed(sql, what, portal_id) + NEWEST_FIRST)
    ]


async def count_files(principal: Principal, portal_id: int) -> int:
    """How many files the taxpayer's own portal holds, for Home's "My Files" card: one
    COUNT, and no activity entry (a number is not a file handed out, and Home is visited
    all the time). Only the principal's own portal: any other is ``NotFound``."""
    if principal.is_staff or principal.portal_id != portal_id:
        raise NotFound(None)
    sql = Sql(bounded=True)
    return await count(f"SELECT ({count_sql(sql, portal_id)}) AS n", sql)


def count_sql(sql: Sql, portal_id: int) -> str:
    """The statement counting what ``list_files`` lists, for ``count_files`` and for Home's
    cards (``accounts.home``), which read both counts in one statement."""
    return _listed(sql, "COUNT(*)", portal_id)


async def _checked(
    principal: Principal, action: document_access.Action, portal_id: int | None, file_id: int
) -> UploadedFile:
    """The file, found by its id alone and checked against its REAL portal, so that
    taxpayer A asking for B's file is a denial in the log (not an allowed read of A's own
    portal), then pinned to ``portal_id`` (the asker's, or the return's in a console URL).
    No such file: the denial is logged against ``portal_id``; either way ``NotFound``."""
    row = await UploadedFile.filter(id=file_id, state=STORED, deleted_at__isnull=True).first()
    where = row.portal_id if row is not None else portal_id  # type: ignore[attr-defined]
    found = row is not None and where == portal_id
    try:
        await document_access.check(
            principal, action, "upload", portal_id=where, file_id=file_id, found=found
        )
    except document_access.Denied:
        raise NotFound(file_id) from None
    assert row is not None  # found
    return row


async def get_file(principal: Principal, portal_id: int | None, file_id: int) -> UploadedFile:
    """One file's row (no bytes), for a page that shows it."""
    return await _checked(principal, "read", portal_id, file_id)


async def remove(core: Core, principal: Principal, portal_id: int | None, file_id: int) -> None:
    """Remove a file the preparer has not opened yet (its bytes go, the row stays marked)."""
    row = await _checked(principal, "delete", portal_id, file_id)
    if row.opened_by_preparer_at is not None:
        raise UploadError("opened", "Your preparer has already opened this file.")
    # conditional: a preparer opening it at the same moment wins
    changed = await UploadedFile.filter(
        id=row.id, deleted_at__isnull=True, opened_by_preparer_at__isnull=True
    ).update(deleted_at=_now())
    if not changed:
        raise UploadError("opened", "Your preparer has already opened this file.")
    storage = _storage(core)
    try:
        await storage.delete(row.storage_key)
    except Exception:  # the row is already removed: stray bytes are harmless, just logged
        log.exception("could not delete the bytes of removed file %s", row.id)


async def open_stream(
    core: Core, principal: Principal, portal_id: int | None, file_id: int
) -> tuple[UploadedFile, AsyncIterator[bytes]]:
    """The row and its bytes (streamed) for a download; staff's first open is recorded
    when the bytes start to be read (from then on the taxpayer can no longer remove the
    file), so a HEAD, which reads none, opens nothing. ``portal_id`` None (a return with
    no portal) finds nothing."""
    row = await _checked(principal, "download", portal_id, file_id)
    chunks = _storage(core).get(row.storage_key)
    if principal.is_staff and row.opened_by_preparer_at is None:
        return row, _opened_when_read(row, chunks)
    return row, chunks


async def _opened_when_read(
    row: UploadedFile, chunks: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    # marked before the first byte leaves, as a conditional update: the taxpayer's remove
    # (conditional on "not opened") and this one cannot both win
    await UploadedFile.filter(id=row.id, opened_by_preparer_at__isnull=True).update(
        opened_by_preparer_at=_now()
    )
    async for chunk in chunks:
        yield chunk


async def mark_reviewed(principal: Principal, portal_id: int, file_ids: list[int]) -> int:
    """Staff mark files as reviewed (no longer "new"); returns how many changed. An id that
    is not a stored file of ``portal_id`` (removed a moment ago, another portal's) or that
    the principal may not review is skipped, its denial logged."""
    changed = 0
    for file_id in file_ids:
        try:
            row = await _checked(principal, "review", portal_id, file_id)
        except NotFound:
            continue
        changed += await _visible(portal_id, id=row.id, reviewed_at__isnull=True).update(
            reviewed_at=_now()
        )
    return changed
