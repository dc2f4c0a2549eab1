"""The checks an upload passes while its bytes stream: name, type from content, caps, SHA-256.

Split from ``uploads.py`` (which re-exports these names); ``preparer_documents.py`` uses
the name check, the hashing off the event loop and ``forget``. Nothing here touches the
database; the storage only in ``forget``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Collection, Sequence

from taxportal import file_types
from taxportal.config import AppConfig
from taxportal.contracts import StorageBackend
from taxportal.file_types import sniff
from taxportal.text import has_control

log = logging.getLogger(__name__)

MB = 1024 * 1024
NAME_MAX = 255
SNIFF_BYTES = file_types.SNIFF_BYTES
HASH_BATCH = 1024 * 1024  # SHA-256 is hashed on a thread a MiB at a time, beside the I/O
# kind (as written in [uploads] allowed_types) -> the content type recorded
CONTENT_TYPES = {kind: file_types.mime_type(kind) for kind in file_types.UPLOAD_KINDS}


class UploadError(Exception):
    """Why an upload or a removal was refused; ``kind`` picks the message shown."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        # "name" | "empty" | "type" | "too_large" | "quota" | "storage" | "no_storage" | "opened"
        self.kind = kind
        self.message = message


def quota_error() -> UploadError:
    return UploadError("quota", "There is no room left in My Files for this file.")


def allowed_kinds(config: AppConfig) -> list[str]:
    """The accepted kinds ("pdf", "jpeg", ...), each once, in the order [uploads]
    allowed_types lists them (written as a kind or a MIME type); "heic" brings "heif" (one
    family: "HEIC/HEIF"). The service judges by it, the page's picker and texts show it."""
    kinds: list[str] = []
    for written in config.core.uploads.allowed_types:
        kind = file_types.upload_kind(written)
        if kind is not None and kind not in kinds:
            kinds.append(kind)
    if "heic" in kinds and "heif" not in kinds:
        kinds.append("heif")
    return kinds


def clean_name(file_name: str) -> str:
    """The name as given (only ever displayed, escaped; the bytes are stored by key) without
    surrounding white space, cut to 255 characters; a name with control characters, or with
    nothing but white space, is refused (``UploadError`` "name"). For uploads and for the
    preparer's documents alike (whose versions are matched by name)."""
    if has_control(file_name):
        raise UploadError("name", "The file name contains control characters.")
    name = file_name.strip()[:NAME_MAX]
    if not name:
        raise UploadError("name", "The file has no name.")
    return name


async def forget(storage: StorageBackend, key: str) -> None:
    """Delete bytes that must not stay (a failed or refused store), keeping the first error:
    a failure here is only logged (the start-up cleanup or a stray key is the lesser harm)."""
    try:
        await storage.delete(key)
    except Exception:  # already failing: keep the first error
        log.exception("could not delete %s after a failed store", key)


class Stream:
    """Wraps the incoming chunks: sniffs, counts, hashes; raises UploadError to stop put()."""

    def __init__(
        self, chunks: AsyncIterator[bytes], allowed: Collection[str], file_cap: int, room: int
    ):
        self.chunks = chunks
        self.allowed = allowed
        self.file_cap = file_cap
        self.room = room  # bytes left in the portal's quota when the upload began
        self.size = 0
        self.kind: str | None = None
        self.sha256 = hashlib.sha256()
        self.refusal: UploadError | None = None
        self._unhashed: list[bytes] = []
        self._unhashed_size = 0
        self._hashing: asyncio.Future[None] | None = None

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind or ""]

    def _refuse(self, error: UploadError) -> UploadError:
        self.refusal = error
        return error

    def _count(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if self.size > self.file_cap:
            mb = self.file_cap / MB
            raise self._refuse(UploadError("too_large", f"The file is larger than {mb:g} MB."))
        if self.size > self.room:
            raise self._refuse(quota_error())
        return chunk

    async def _hash(self, chunk: bytes) -> None:
        """Hash on a worker thread (hashlib lets go of the GIL), one batch at a time and in
        order, while the next batch arrives: SHA-256 is the slowest step of an upload."""
        self._unhashed.append(chunk)
        self._unhashed_size += len(chunk)
        if self._unhashed_size >= HASH_BATCH:
            await self._wait_for_hashing()
            batch, self._unhashed, self._unhashed_size = self._unhashed, [], 0
            self._hashing = asyncio.ensure_future(asyncio.to_thread(hash_batch, self.sha256, batch))

    async def _wait_for_hashing(self) -> None:
        if self._hashing is not None:
            await self._hashing
            self._hashing = None

    async def hexdigest(self) -> str:
        """The SHA-256 of everything streamed (call once the stream is exhausted)."""
        await self._wait_for_hashing()
        if self._unhashed:
            batch, self._unhashed, self._unhashed_size = self._unhashed, [], 0
            await asyncio.to_thread(hash_batch, self.sha256, batch)
        return self.sha256.hexdigest()

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
            await self._hash(self._count(chunk))
            yield chunk
        if self.kind is None:
            if not head:
                raise self._refuse(UploadError("empty", "The file is empty."))
            self._judge(head)
            await self._hash(self._count(head))
            yield head


def hash_batch(sha256: hashlib._Hash, batch: Sequence[bytes]) -> None:
    """Run on a worker thread (hashlib lets go of the GIL for large buffers)."""
    for chunk in batch:
        sha256.update(chunk)
