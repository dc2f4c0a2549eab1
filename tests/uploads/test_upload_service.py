"""The "My Files" upload service, through a real app core and the storage_local backend."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest

from taxportal import hookimpl
from taxportal.events import FileUploaded, listens_to
from taxportal.models import ActivityEntry, UploadedFile
from taxportal.services.documents.access import Principal
from taxportal.services.uploads import intake as uploads
from tests.support import BrokenStoragePlugin
from tests.uploads.helpers import (
    EXE,
    HEIC,
    JPEG,
    PDF,
    PNG,
    PREPARER,
    TIFF,
    chunked,
    gather,
    new_portal,
    owner,
    stored_files,
)

FILE_ACTIONS = ["file_read", "file_download", "file_delete", "file_list", "file_review"]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (PDF, "application/pdf"),
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (HEIC, "image/heic"),
        (TIFF, "image/tiff"),
    ],
)
async def test_round_trip(started: Any, data: bytes, content_type: str) -> None:
    core = await started()
    portal = await new_portal()
    result = await uploads.upload(
        core, owner(portal), portal.id, "../W-2 2025 ✓.bin", chunked(data)
    )
    assert result.status == "stored"
    row = result.file
    assert (row.file_name, row.content_type, row.size) == (
        "../W-2 2025 ✓.bin",
        content_type,
        len(data),
    )
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert row.storage_key.startswith(f"u/{portal.id}/")
    assert [f.id for f in await uploads.list_files(owner(portal), portal.id)] == [row.id]
    opened, stream = await uploads.open_stream(core, owner(portal), portal.id, row.id)
    assert opened.id == row.id
    assert await gather(stream) == data
    entry = await ActivityEntry.filter(action="file_uploaded").get()
    assert entry.detail["file_id"] == row.id
    assert "W-2" not in str(entry.detail)  # neither the content nor the name


async def test_upload_by_account_and_event(started: Any) -> None:
    events: list[tuple[int, int]] = []

    class Listener:
        @hookimpl
        @listens_to(FileUploaded)
        def taxportal_event(self, event: FileUploaded) -> None:
            events.append((event.portal_id, event.file_id))

    core = await started(Listener())
    portal = await new_portal()
    from taxportal.models import TaxpayerAccount

    account = await TaxpayerAccount.create(
        portal=portal, username="sherry", username_key="sherry", password_hash="x"
    )
    result = await uploads.upload(
        core,
        Principal("taxpayer", account.id, portal_id=portal.id),
        portal.id,
        "w2.pdf",
        chunked(PDF),
    )
    assert events == [(portal.id, result.file.id)]
    entry = await ActivityEntry.filter(action="file_uploaded").get()
    assert entry.actor == f"taxpayer:{account.id}"


@pytest.mark.parametrize(
    ("data", "kind"), [(EXE, "type"), (b"", "empty"), (b"%PD", "type"), (b"hello world!", "type")]
)
async def test_refused_content_leaves_nothing(started: Any, data: bytes, kind: str) -> None:
    core = await started()
    portal = await new_portal()
    with pytest.raises(uploads.UploadError) as caught:
        await uploads.upload(core, owner(portal), portal.id, "w2.pdf", chunked(data))
    assert caught.value.kind == kind
    assert await UploadedFile.all().count() == 0
    assert stored_files(core) == []


async def test_not_allowed_type_refused(started: Any) -> None:
    core = await started(TAXPORTAL_UPLOADS__ALLOWED_TYPES='["pdf"]')
    portal = await new_portal()
    with pytest.raises(uploads.UploadError) as caught:
        await uploads.upload(core, owner(portal), portal.id, "photo.png", chunked(PNG))
    assert caught.value.kind == "type"
    assert (
        await uploads.upload(core, owner(portal), portal.id, "w2.pdf", chunked(PDF))
    ).status == "stored"


@pytest.mark.parametrize("name", ["w2\n.pdf", "a\x00b.pdf", "\x1b[31m.pdf", "", "   "])
async def test_bad_names_refused(started: Any, name: str) -> None:
    core = await started()
    portal = await new_portal()
    with pytest.raises(uploads.UploadError) as caught:
        await uploads.upload(core, owner(portal), portal.id, name, chunked(PDF))
    assert caught.value.kind == "name"
    assert await UploadedFile.all().count() == 0


async def test_long_name_truncated(started: Any) -> None:
    core = await started()
    portal = await new_portal()
    result = await uploads.upload(core, owner(portal), portal.id, "é" * 300 + ".pdf", chunked(PDF))
    assert result.file.file_name == "é" * 255
    assert (await UploadedFile.get(id=result.file.id)).file_name == "é" * 255


async def test_oversized_file_cut_off(started: Any) -> None:
    core = await started(TAXPORTAL_UPLOADS__MAX_FILE_MB="1")
    portal = await new_portal()
    read = 0

    async def two_mib() -> AsyncIterator[bytes]:
        nonlocal read
        yield b"%PDF-1.7\n" + b"\x00" * (64 * 1024 - 9)
        read += 64 * 1024
        for _ in range(31):
            yield b"\x00" * (64 * 1024)
            read += 64 * 1024

    with pytest.raises(uploads.UploadError) as caught:
        await uploads.upload(core, owner(portal), portal.id, "big.pdf", two_mib())
    assert caught.value.kind == "too_large"
    assert read <= 1024 * 1024 + 64 * 1024  # reading stopped at the cap
    assert await UploadedFile.all().count() == 0
    assert stored_files(core) == []


async def test_portal_quota(started: Any) -> None:
    core = await started(TAXPORTAL_UPLOADS__MAX_PORTAL_MB="0.01")  # 10 KiB
    portal = await new_portal()
    first = PDF + b"a" * 6000
    assert (
        await uploads.upload(core, owner(portal), portal.id, "one.pdf", chunked(first, 1024))
    ).status == "stored"
    with pytest.raises(uploads.UploadError) as caught:
        await uploads.upload(
            core, owner(portal), portal.id, "two.pdf", chunked(PDF + b"b" * 6000, 1024)
        )
    assert caught.value.kind == "quota"
    assert await UploadedFile.all().count() == 1
    assert len(stored_files(core)) == 1
    other = await new_portal("Other")  # the quota is per portal
    assert (
        await uploads.upload(core, owner(other), other.id, "two.pdf", chunked(first))
    ).status == "stored"


async def test_duplicate_detected(started: Any) -> None:
    core = await started()
    portal = await new_portal()
    first = await uploads.upload(core, owner(portal), portal.id, "W-2.pdf", chunked(PDF))
    again = await uploads.upload(core, owner(portal), portal.id, "copy of W-2.pdf", chunked(PDF, 3))
    assert again.status == "duplicate"
    assert again.duplicate_of == "W-2.pdf"
    assert again.file.id == first.file.id
    assert await UploadedFile.all().count() == 1
    assert len(stored_files(core)) == 1
    other = await new_portal("Other")  # the same bytes in another portal are not a duplicate
    assert (
        await uploads.upload(core, owner(other), other.id, "W-2.pdf", chunked(PDF))
    ).status == "stored"
    await uploads.remove(
        core, owner(portal), portal.id, first.file.id
    )  # removed: may be uploaded again
    assert (
        await uploads.upload(core, owner(portal), portal.id, "W-2.pdf", chunked(PDF))
    ).status == "stored"


async def test_another_portals_file_is_not_found(started: Any) -> None:
    core = await started()
    mine, theirs = await new_portal(), await new_portal("Other")
    row = (await uploads.upload(core, owner(theirs), theirs.id, "w2.pdf", chunked(PDF))).file
    with pytest.raises(uploads.NotFound):
        await uploads.open_stream(core, owner(mine), mine.id, row.id)
    with pytest.raises(uploads.NotFound):
        await uploads.remove(core, owner(mine), mine.id, row.id)
    with pytest.raises(uploads.NotFound):
        await uploads.get_file(owner(mine), mine.id, row.id + 1000)
    assert await uploads.list_files(owner(mine), mine.id) == []
    # asking through the other portal's id is refused by the access check, and logged
    with pytest.raises(uploads.NotFound):
        await uploads.open_stream(core, owner(mine), theirs.id, row.id)
    with pytest.raises(uploads.NotFound):
        await uploads.list_files(owner(mine), theirs.id)
    with pytest.raises(uploads.NotFound):
        await uploads.upload(core, owner(mine), theirs.id, "w2.pdf", chunked(PDF))
    with pytest.raises(uploads.NotFound):  # staff read and review, but never remove
        await uploads.remove(core, PREPARER, theirs.id, row.id)
    # each attempt is a denial logged against the file's REAL portal (a missing id: against
    # the asker's), never an allowed download of the asker's own portal
    denied = await ActivityEntry.filter(action="file_access_denied").order_by("id")
    me, them = f"portal:{mine.id}", f"portal:{theirs.id}"
    assert [(e.actor, e.subject, e.detail.get("wanted")) for e in denied] == [
        (owner(mine).actor, them, "download"),
        (owner(mine).actor, them, "delete"),
        (owner(mine).actor, me, "read"),
        (owner(mine).actor, them, "download"),
        (owner(mine).actor, them, "list"),
        (owner(mine).actor, them, "upload"),
        (PREPARER.actor, them, "delete"),
    ]
    assert {e.address for e in denied if e.actor == owner(mine).actor} == {"203.0.113.9"}
    allowed = ActivityEntry.filter(actor=owner(mine).actor, action__in=FILE_ACTIONS)
    # its own list was allowed and is not logged (names only: reads of content are)
    assert await allowed.values_list("action", flat=True) == []
    assert await UploadedFile.filter(id=row.id, deleted_at__isnull=True).count() == 1


async def test_remove(started: Any) -> None:
    core = await started()
    portal = await new_portal()
    row = (await uploads.upload(core, owner(portal), portal.id, "w2.pdf", chunked(PDF))).file
    await uploads.remove(core, owner(portal), portal.id, row.id)
    assert await uploads.list_files(owner(portal), portal.id) == []
    assert stored_files(core) == []
    with pytest.raises(uploads.NotFound):
        await uploads.open_stream(core, owner(portal), portal.id, row.id)
    assert await ActivityEntry.filter(action="file_delete", actor=owner(portal).actor).count() == 1


async def test_remove_refused_after_preparer_opened(started: Any) -> None:
    core = await started()
    portal = await new_portal()
    row = (await uploads.upload(core, owner(portal), portal.id, "w2.pdf", chunked(PDF))).file
    _, stream = await uploads.open_stream(core, PREPARER, portal.id, row.id)
    assert await gather(stream) == PDF
    with pytest.raises(uploads.UploadError) as caught:
        await uploads.remove(core, owner(portal), portal.id, row.id)
    assert caught.value.kind == "opened"
    assert [f.id for f in await uploads.list_files(owner(portal), portal.id)] == [row.id]
    assert len(stored_files(core)) == 1


@pytest.mark.parametrize("error", [OSError("disk full"), ConnectionError("refused")])
async def test_storage_failure(started: Any, error: Exception) -> None:
    core = await started(
        BrokenStoragePlugin(error),
        TAXPORTAL_PLUGINS__DISABLED='["storage_local"]',
        TAXPORTAL_STORAGE__BACKEND="broken",
    )
    portal = await new_portal()
    with pytest.raises(uploads.UploadError) as caught:
        await uploads.upload(core, owner(portal), portal.id, "w2.pdf", chunked(PDF))
    assert caught.value.kind == "storage"
    assert "disk full" not in str(caught.value)
    assert await UploadedFile.all().count() == 0


async def test_no_storage_plugin(started: Any) -> None:
    core = await started(TAXPORTAL_PLUGINS__DISABLED='["storage_local"]')
    assert core.plugins.storage is None
    with pytest.raises(uploads.UploadError) as caught:
        portal = await new_portal()
        await uploads.upload(core, owner(portal), portal.id, "w2.pdf", chunked(PDF))
    assert caught.value.kind == "no_storage"


async def test_large_upload_keeps_memory_flat(started: Any) -> None:
    core = await started(TAXPORTAL_UPLOADS__MAX_FILE_MB="200")
    portal = await new_portal()
    block = b"\x5a" * (256 * 1024)
    total = 100 * 1024 * 1024

    async def hundred_mb() -> AsyncIterator[bytes]:
        yield b"%PDF-1.7\n" + block[9:]
        for _ in range(total // len(block) - 1):
            yield block

    tracemalloc.start()
    try:
        result = await uploads.upload(core, owner(portal), portal.id, "big.pdf", hundred_mb())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.file.size == total
    assert peak < 8 * 1024 * 1024, peak
