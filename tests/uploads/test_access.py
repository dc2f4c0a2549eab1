"""The access check of uploads made against the file's real portal, the count for Home,
and the helpers uploads share with the preparer's documents."""

from __future__ import annotations

from typing import Any

import pytest

from taxportal.models import ActivityEntry
from taxportal.services.uploads import intake as uploads
from taxportal.services.uploads.stream import clean_name
from tests.uploads.helpers import JPEG, PDF, PREPARER, chunked, new_portal, owner


async def test_staff_asking_through_another_portal_find_nothing_and_are_logged(
    started: Any,
) -> None:
    core = await started()
    mine, theirs = await new_portal(), await new_portal("Other")
    row = (await uploads.upload(core, owner(theirs), theirs.id, "w2.pdf", chunked(PDF))).file

    with pytest.raises(uploads.NotFound):  # the URL names the other client's return
        await uploads.open_stream(core, PREPARER, mine.id, row.id)
    with pytest.raises(uploads.NotFound):  # a return with no portal finds nothing
        await uploads.open_stream(core, PREPARER, None, row.id)
    assert await uploads.mark_reviewed(PREPARER, mine.id, [row.id]) == 0  # skipped

    denied = await ActivityEntry.filter(action="file_access_denied").order_by("id")
    assert [(e.actor, e.subject, e.detail["wanted"]) for e in denied] == [
        (PREPARER.actor, f"portal:{theirs.id}", "download"),
        (PREPARER.actor, f"portal:{theirs.id}", "download"),
        (PREPARER.actor, f"portal:{theirs.id}", "review"),
    ]
    fresh = await uploads.get_file(PREPARER, theirs.id, row.id)
    assert fresh.opened_by_preparer_at is None and fresh.reviewed_at is None
    assert await uploads.mark_reviewed(PREPARER, theirs.id, [row.id, row.id + 99]) == 1


async def test_count_files_counts_the_own_portal_and_writes_nothing(started: Any) -> None:
    core = await started()
    mine, theirs = await new_portal(), await new_portal("Other")
    await uploads.upload(core, owner(mine), mine.id, "w2.pdf", chunked(PDF))
    gone = await uploads.upload(core, owner(mine), mine.id, "photo.jpg", chunked(JPEG))
    await uploads.upload(core, owner(theirs), theirs.id, "w2.pdf", chunked(PDF))
    await uploads.remove(core, owner(mine), mine.id, gone.file.id)
    entries = await ActivityEntry.all().count()

    assert await uploads.count_files(owner(mine), mine.id) == 1
    with pytest.raises(uploads.NotFound):
        await uploads.count_files(owner(mine), theirs.id)
    with pytest.raises(uploads.NotFound):
        await uploads.count_files(PREPARER, mine.id)
    assert await ActivityEntry.all().count() == entries


def test_one_clean_name_for_uploads_and_documents() -> None:
    assert clean_name("  W-2 2025.pdf  ") == "W-2 2025.pdf"
    assert clean_name("x" * 300) == "x" * 255
    for bad in ("   ", "", "w2\n.pdf"):
        with pytest.raises(uploads.UploadError):
            clean_name(bad)


async def test_allowed_kinds_in_the_configured_order(started: Any) -> None:
    core = await started(TAXPORTAL_UPLOADS__ALLOWED_TYPES='["image/png", "heic", "pdf", "png"]')
    assert uploads.allowed_kinds(core.config) == ["png", "heic", "pdf", "heif"]
