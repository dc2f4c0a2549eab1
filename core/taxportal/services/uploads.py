""" "My Files": the taxpayer's uploads, streamed into the storage plugin in constant memory.

The bytes go to ``core.plugins.storage`` under a key the core makes; the file name is
kept as given (only displayed, escaped). While the bytes stream, the type is judged
from the first bytes, the per-file and per-portal caps are enforced and the SHA-256
is computed. A refusal is raised inside the chunk iterator handed to ``put()``, which
the storage contract says leaves nothing stored. Every public function takes who is
asking (a ``Principal``) and the owning portal's id, passes the one access check
(``document_access.check``, which also writes the activity log) and finds files by
(portal, id): another portal's file, or a portal not the asker's, is ``NotFound``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass

from taxportal.context import Core
from taxportal.contracts import StorageBackend
from taxportal.models import UploadedFile
from taxportal.services import activity, document_access
from taxportal.services.document_access import Principal

log = logging.getLogger(__name__)
MB = 1024 * 1024
NAME_MAX = 255
SNIFF_BYTES = 12
HEIF_BRANDS = {b"heic": "heic", b"heix": "heic", b"hevc": "heic", b"mif1": "heif", b"msf1": "heif"}
# kind (as written in [uploads] allowed_types) -> the content type recorded
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "heic": "image/heic",
    "heif": "image/heif",
    "tiff": "image/tiff",
}


class UploadError(Exception):
    """Why an upload or a removal was refused; ``kind`` picks the message shown."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        # "name" | "empty" | "type" | "too_large" | "quota" | "storage" | "no_storage" | "opened"
        self.kind = kind
        self.message = message


class NotFound(LookupError):
    """No such file in this portal (another portal's file id included): a 404."""


@dataclass(frozen=True)
class UploadResult:
    """``status`` is "stored" (``file`` is the new row) or "duplicate" (``file`` is the
    earlier upload of the same bytes, whose name is ``duplicate_of``)."""

    status: str
    file: UploadedFile
    duplicate_of: str = ""


def sniff(head: bytes) -> str | None:
    """The kind of file the first bytes say it is ("pdf", "jpeg", ...), or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return HEIF_BRANDS.get(head[8:12])
    return None


def _allowed(core: Core) -> set[str]:
    by_mime = {mime: kind for kind, mime in CONTENT_TYPES.items()}
    allowed = set()
    for written in core.config.core.uploads.allowed_types:
        name = written.strip().lower()
        allowed.add(by_mime.get(name, name))  # "pdf" or "application/pdf"
    if "heic" in allowed:
        allowed.add("heif")  # one family: "HEIC/HEIF"
    return allowed


def clean_name(file_name: str) -> str:
    """The name as given, cut to 255 characters; control characters are refused."""
    if any(unicodedata.category(c) == "Cc" for c in file_name):
        raise UploadError("name", "The file name contains control characters.")
    name = file_name[:NAME_MAX]
    if not name.strip():
        raise UploadError("name", "The file has no name.")
    return name


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


async def _used_bytes(portal_id: int) -> int:
    sizes = await UploadedFile.filter(portal_id=portal_id, deleted_at__isnull=True).values_list(
        "size", flat=True
    )
    return sum(int(s) for s in sizes)


class _Stream:
    """Wraps the incoming chunks: sniffs, counts, hashes; raises UploadError to stop put()."""

    def __init__(self, chunks: AsyncIterator[bytes], allowed: set[str], file_cap: int, room: int):
        self.chunks = chunks
        self.allowed = allowed
        self.file_cap = file_cap
        self.room = room  # bytes left in the portal's quota
        self.size = 0
        self.kind: str | None = None
        self.sha256 = hashlib.sha256()
        self.refusal: UploadError | None = None

    def _refuse(self, error: UploadError) -> UploadError:
        self.refusal = error
        return error

    def _count(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if self.size > self.file_cap:
            mb = self.file_cap / MB
            raise self._refuse(UploadError("too_large", f"The file is larger than {mb:g} MB."))
        if self.size > self.room:
            raise self._refuse(
                UploadError("quota", "There is no room left in My Files for this file.")
            )
        self.sha256.update(chunk)
        return chunk

    def _judge(self, head: bytes) -> None:
        kind = sniff(head)
        if kind is None or kind not in self.allowed:
            raise self._refuse(
                UploadError(
                    "type", "This kind of file is not accepted: PDF, JPEG, PNG, HEIC or TIFF only."
                )
            )
        self.kind = kind

    async def __aiter__(self) -> AsyncIterator[bytes]:
        head = b""
        async for chunk in self.chunks:
            if not chunk:
                continue
            if self.kind is None:
                head += chunk
                if len(head) < SNIFF_BYTES:
                    continue
                self._judge(head)
                chunk, head = head, b""
            yield self._count(chunk)
        if self.kind is None:
            if not head:
                raise self._refuse(UploadError("empty", "The file is empty."))
            self._judge(head)
            yield self._count(head)


async def upload(
    core: Core,
    principal: Principal,
    portal_id: int,
    file_name: str,
    chunks: AsyncIterator[bytes],
) -> UploadResult:
    """Stream one file into storage and record it, or raise UploadError leaving nothing."""
    await _check(principal, "upload", portal_id)
    actor, address = principal.actor, principal.address
    name = clean_name(file_name)
    storage = _storage(core)
    settings = core.config.core.uploads
    room = int(settings.max_portal_mb * MB) - await _used_bytes(portal_id)
    stream = _Stream(chunks, _allowed(core), int(settings.max_file_mb * MB), room)
    key = f"u/{portal_id}/{secrets.token_hex(16)}"
    try:
        await storage.put(key, stream.__aiter__())
    except Exception as exc:
        if stream.refusal is not None:
            await activity.record(
                "file_refused",
                actor=actor,
                subject=f"portal:{portal_id}",
                address=address,
                reason=stream.refusal.kind,
            )
            raise stream.refusal from None
        log.exception("storage %s failed to store %s", storage.name, key)
        await activity.record(
            "file_upload_failed",
            actor=actor,
            subject=f"portal:{portal_id}",
            address=address,
            reason=type(exc).__name__,
        )
        raise UploadError(
            "storage", "The file could not be stored. Please try again in a few minutes."
        ) from exc
    digest = stream.sha256.hexdigest()
    try:
        earlier = await UploadedFile.filter(
            portal_id=portal_id, sha256=digest, deleted_at__isnull=True
        ).first()
        if earlier is not None:
            await storage.delete(key)
            await activity.record(
                "file_duplicate",
                actor=actor,
                subject=f"portal:{portal_id}",
                address=address,
                file_id=earlier.id,
            )
            return UploadResult("duplicate", earlier, earlier.file_name)
        row = await UploadedFile.create(
            portal_id=portal_id,
            storage_key=key,
            file_name=name,
            content_type=CONTENT_TYPES[stream.kind or ""],
            size=stream.size,
            sha256=digest,
        )
    except BaseException:
        await _forget(storage, key)  # no bytes without a row
        raise
    await activity.record(
        "file_uploaded",
        actor=actor,
        subject=f"portal:{portal_id}",
        address=address,
        file_id=row.id,
        size=row.size,
        content_type=row.content_type,
    )
    await core.plugins.emit("file_uploaded", portal_id=portal_id, file_id=row.id)
    return UploadResult("stored", row)


async def _forget(storage: StorageBackend, key: str) -> None:
    try:
        await storage.delete(key)
    except Exception:  # already failing: keep the first error
        log.exception("could not delete %s after a failed upload", key)


async def list_files(principal: Principal, portal_id: int) -> list[UploadedFile]:
    """The portal's files, newest first (removed ones left out)."""
    await _check(principal, "list", portal_id)
    return await UploadedFile.filter(portal_id=portal_id, deleted_at__isnull=True).order_by(
        "-uploaded_at", "-id"
    )


async def _get_file(portal_id: int, file_id: int) -> UploadedFile:
    row = await UploadedFile.filter(
        id=file_id, portal_id=portal_id, deleted_at__isnull=True
    ).first()
    if row is None:
        raise NotFound(file_id)
    return row


async def get_file(principal: Principal, portal_id: int, file_id: int) -> UploadedFile:
    """One file's row (no bytes), for a page that shows it."""
    await _check(principal, "read", portal_id, file_id=file_id)
    return await _get_file(portal_id, file_id)


async def remove(core: Core, principal: Principal, portal_id: int, file_id: int) -> None:
    """Remove a file the preparer has not opened yet (its bytes go, the row stays marked)."""
    await _check(principal, "delete", portal_id, file_id=file_id)
    row = await _get_file(portal_id, file_id)
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
    core: Core, principal: Principal, portal_id: int, file_id: int
) -> tuple[UploadedFile, AsyncIterator[bytes]]:
    """The row and its bytes (streamed) for a download; staff's first open is recorded
    (from then on the taxpayer can no longer remove the file)."""
    await _check(principal, "download", portal_id, file_id=file_id)
    row = await _get_file(portal_id, file_id)
    storage = _storage(core)
    if principal.is_staff and row.opened_by_preparer_at is None:
        row.opened_by_preparer_at = _now()
        await UploadedFile.filter(id=row.id, opened_by_preparer_at__isnull=True).update(
            opened_by_preparer_at=row.opened_by_preparer_at
        )
    return row, storage.get(row.storage_key)


async def mark_reviewed(principal: Principal, portal_id: int, file_ids: list[int]) -> int:
    """Staff mark files as reviewed (no longer "new"); returns how many changed."""
    changed = 0
    for file_id in file_ids:
        await _check(principal, "review", portal_id, file_id=file_id)
        changed += await UploadedFile.filter(
            id=file_id, portal_id=portal_id, deleted_at__isnull=True, reviewed_at__isnull=True
        ).update(reviewed_at=_now())
    return changed
