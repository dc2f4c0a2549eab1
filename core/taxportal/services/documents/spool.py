"""Where a preparer's PDF waits while it arrives: a file under ``<data_dir>/spool``.

The folder is the owner's only (0700; each file 0600), inside the data directory, never
the system's temporary folder, where a crash would leave a whole tax return. The bytes are
counted as they come, and hashed and written on a worker thread a MiB at a time; the
start-up cleanup (``upload_cleanup``) deletes the spool files a crash left behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from taxportal.private_files import make_private_dir
from taxportal.services.documents import pdf_check
from taxportal.services.uploads.stream import HASH_BATCH, MB, hash_batch

SPOOL = "spool"
SPOOL_PREFIX = "doc-"
READ_BLOCK = 256 * 1024


@dataclass
class Spooled:
    path: Path
    size: int
    sha256: str


def spool_dir(data_dir: Path) -> Path:
    return data_dir / SPOOL


def _open(data_dir: Path) -> tempfile._TemporaryFileWrapper[bytes]:
    folder = spool_dir(data_dir)
    make_private_dir(folder)
    os.chmod(folder, 0o700)  # mkdir's mode is cut by the umask; an older folder is kept tight
    # the file itself is created 0600 by tempfile
    return tempfile.NamedTemporaryFile(dir=folder, prefix=SPOOL_PREFIX, delete=False)


def _write(
    handle: tempfile._TemporaryFileWrapper[bytes], sha256: hashlib._Hash, batch: list[bytes]
) -> None:
    """On a worker thread: hash a batch and write it (both let go of the GIL)."""
    hash_batch(sha256, batch)
    handle.writelines(batch)


async def spool(data_dir: Path, chunks: AsyncIterator[bytes], max_bytes: int) -> Spooled:
    """Write the incoming bytes to a spool file; refuse early (``pdf_check.PdfProblem``)
    what is larger than ``max_bytes`` or does not start like a PDF. The caller removes the
    file."""
    handle = await asyncio.to_thread(_open, data_dir)
    path = Path(handle.name)
    digest = hashlib.sha256()
    size = 0
    batch: list[bytes] = []
    batched = 0
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            if size == 0 and len(chunk) >= pdf_check.HEAD_BYTES:
                if not pdf_check.looks_like_pdf(chunk):
                    raise pdf_check.PdfProblem(
                        "not_pdf", "This file is not a PDF (judged by its content, not its name)."
                    )
            size += len(chunk)
            if size > max_bytes:
                message = f"The file is larger than {max_bytes // MB} MB."
                raise pdf_check.PdfProblem("too_large", message)
            batch.append(chunk)
            batched += len(chunk)
            if batched >= HASH_BATCH:
                await asyncio.to_thread(_write, handle, digest, batch)
                batch, batched = [], 0
        await asyncio.to_thread(_write, handle, digest, batch)
        await asyncio.to_thread(handle.flush)
    except BaseException:
        handle.close()
        path.unlink(missing_ok=True)
        raise
    handle.close()
    return Spooled(path, size, digest.hexdigest())


async def read_back(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while block := await asyncio.to_thread(handle.read, READ_BLOCK):
            yield block
    finally:
        handle.close()
