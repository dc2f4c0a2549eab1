"""View Documents: a client's uploads as the preparer sees them, marked reviewed, or zipped.

Every file handed out goes through ``services.uploads`` (and so through the one access
check, which writes the activity log); this module only finds the portal of a return
(``portal_id_of``, None before the return has one: ``uploads`` then finds no file) and puts
the files in the shape the preparer's page and the zip need.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO

from taxportal.context import Core
from taxportal.models import Portal, TaxReturn, UploadedFile
from taxportal.services.documents.access import Principal, portal_id_of
from taxportal.services.uploads import intake as uploads
from taxportal.services.uploads.file_names import WINDOWS_RESERVED, safe_name

NotFound = uploads.NotFound
STORED_TYPES = ("application/pdf", "image/")  # already compressed: deflating gains nothing


@dataclass
class ClientUploads:
    tax_return: TaxReturn
    portal: Portal | None
    files: list[UploadedFile]

    @property
    def new_count(self) -> int:
        return sum(1 for f in self.files if f.reviewed_at is None)


async def client_uploads(principal: Principal, return_id: int) -> ClientUploads:
    """The return, its portal (None before one is made) and the files uploaded to it."""
    tax_return = await TaxReturn.get_or_none(id=return_id)
    if tax_return is None:
        raise NotFound(return_id)
    portal = await Portal.get_or_none(tax_return_id=return_id)
    files = await _stored(principal, portal.id) if portal is not None else []
    return ClientUploads(tax_return, portal, files)


async def _stored(principal: Principal, portal_id: int) -> list[UploadedFile]:
    # an upload still streaming (or left by a crash) has no bytes to show yet
    return [f for f in await uploads.list_files(principal, portal_id) if f.state == "stored"]


async def mark_reviewed(principal: Principal, return_id: int, file_ids: list[int] | None) -> int:
    """Mark the chosen files (None: every new file) as reviewed; returns how many changed."""
    portal_id = await portal_id_of(return_id)
    if portal_id is None:
        raise NotFound(return_id)
    if file_ids is None:
        file_ids = [f.id for f in await _stored(principal, portal_id) if f.reviewed_at is None]
    return await uploads.mark_reviewed(principal, portal_id, file_ids)


def unique_names(names: list[str]) -> list[str]:
    """Names safe in a zip on any system, each once: later duplicates (any letter case)
    become "w2 (2).pdf"."""
    taken: set[str] = set()
    result = []
    for original in names:
        name = safe_name(original, reserved=WINDOWS_RESERVED)
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, dot, ext = name, "", ""
        number = 1
        while name.casefold() in taken:
            number += 1
            name = f"{stem} ({number}){dot}{ext}"
        taken.add(name.casefold())
        result.append(name)
    return result


class _Sink:
    """Where zipfile writes: kept until the handler takes it, so memory stays one chunk."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def _entry(archive: zipfile.ZipFile, name: str, row: UploadedFile) -> IO[bytes]:
    when = row.uploaded_at.astimezone(dt.UTC)
    info = zipfile.ZipInfo(name, date_time=(max(when.year, 1980), *when.timetuple()[1:6]))
    info.file_size = row.size  # decides zip64 up front: the archive cannot seek back
    info.external_attr = 0o644 << 16
    stored = row.content_type.startswith(STORED_TYPES)
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    return archive.open(info, "w")


async def zip_chunks(
    core: Core, principal: Principal, portal_id: int, files: list[UploadedFile]
) -> AsyncIterator[bytes]:
    """The zip of ``files``, produced while their bytes stream from the storage: at most one
    storage chunk is held at a time. A file removed meanwhile is left out."""
    sink = _Sink()
    # no tell()/seek() on the sink: zipfile writes sizes after each entry (data descriptors)
    archive = zipfile.ZipFile(sink, "w", allowZip64=True)  # type: ignore[arg-type]
    # each ends with the extension of its judged type: no "W-2.bat" that is a PDF
    names = unique_names(
        [safe_name(f.file_name, f.content_type, reserved=WINDOWS_RESERVED) for f in files]
    )
    for name, listed in zip(names, files, strict=True):
        try:
            row, chunks = await uploads.open_stream(core, principal, portal_id, listed.id)
        except uploads.NotFound:
            continue
        with _entry(archive, name, row) as entry:
            async for chunk in chunks:
                entry.write(chunk)
                if len(sink.buffer) >= 64 * 1024:
                    yield sink.take()
        yield sink.take()
    archive.close()
    yield sink.take()


def archive_name(tax_return: TaxReturn) -> str:
    """e.g. "Evans Angela 2025 uploads.zip"."""
    who = " ".join(p for p in (tax_return.last_name, tax_return.first_name) if p)
    name = f"{who} {tax_return.tax_year} uploads.zip"
    return safe_name(name, "application/zip", reserved=WINDOWS_RESERVED, fallback="uploads")
