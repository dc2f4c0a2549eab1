"""Issue 4's failure cases: storage down, an executable renamed .pdf, a zero-byte file.
Each leaves no row, nothing listed and no bytes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from taxportal.models import ActivityEntry, UploadedFile
from taxportal.services.uploads import intake as uploads
from tests.uploads.helpers import (
    EXE,
    MiB,
    MotoServer,
    chunked,
    free_port,
    new_portal,
    owner,
    pdf_of,
    stored_files,
)

SECRET = "s3cret/Key+ThatMustNeverShow"


async def nothing_left(core: Any, portal: Any) -> None:
    assert await UploadedFile.all().count() == 0  # not even an "uploading" row
    assert await uploads.list_files(owner(portal), portal.id) == []
    assert stored_files(core) == []


async def test_s3_endpoint_refusing_connections(started_s3: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    core = await started_s3(closed, create_bucket=False)
    portal = await new_portal()

    with pytest.raises(uploads.UploadError) as caught:
        await uploads.upload(core, owner(portal), portal.id, "W-2.pdf", chunked(pdf_of(1000, 1)))

    assert caught.value.kind == "storage"
    assert caught.value.message == (
        "The file could not be stored. Please try again in a few minutes."
    )
    await nothing_left(core, portal)
    failed = await ActivityEntry.get(action="file_upload_failed")
    assert failed.detail == {"reason": "S3Unavailable"}
    assert f"cannot reach the S3 store at {closed}" in caplog.text  # for the operator
    assert SECRET not in caplog.text


async def test_s3_stopping_in_the_middle_of_an_upload(started_s3: Any, caplog: Any) -> None:
    moto = MotoServer().start()
    try:
        core = await started_s3(moto.endpoint)
        portal = await new_portal()
        data = pdf_of(12 * MiB, seed=3)
        parts_sent = 0

        async def store_dies_after_the_first_part() -> AsyncIterator[bytes]:
            nonlocal parts_sent
            yield data[: 6 * MiB]  # put() sends part 1 (5 MiB) before asking for more
            parts_sent = 1
            await asyncio.to_thread(moto.stop)
            yield data[6 * MiB :]

        with pytest.raises(uploads.UploadError) as caught:
            await uploads.upload(
                core, owner(portal), portal.id, "W-2.pdf", store_dies_after_the_first_part()
            )
    finally:
        moto.stop()

    assert parts_sent == 1
    assert caught.value.kind == "storage"
    await nothing_left(core, portal)
    assert SECRET not in caplog.text


async def test_an_executable_renamed_pdf_is_refused_at_its_first_bytes(started: Any) -> None:
    core = await started()
    portal = await new_portal()
    read = 0

    async def big_exe() -> AsyncIterator[bytes]:
        nonlocal read
        block = 256 * 1024
        for n in range(40):  # 10 MiB of "program", with the MZ header of a Windows .exe
            read += block
            yield EXE[:8] + b"\x00" * (block - 8) if n == 0 else b"\x90" * block

    with pytest.raises(uploads.UploadError) as caught:
        await uploads.upload(core, owner(portal), portal.id, "W-2 2025.pdf", big_exe())

    assert caught.value.kind == "type"
    assert read == 256 * 1024  # judged by the first chunk; the rest was never read
    await nothing_left(core, portal)
    refused = await ActivityEntry.get(action="file_refused")
    assert refused.detail == {"reason": "type"}


@pytest.mark.parametrize("chunks", [[], [b""], [b"", b""]], ids=["no-chunk", "empty", "empties"])
async def test_a_zero_byte_file_is_refused(started: Any, chunks: list[bytes]) -> None:
    core = await started()
    portal = await new_portal()

    async def source() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    with pytest.raises(uploads.UploadError) as caught:
        await uploads.upload(core, owner(portal), portal.id, "empty.pdf", source())

    assert (caught.value.kind, caught.value.message) == ("empty", "The file is empty.")
    await nothing_left(core, portal)


async def test_a_refused_upload_over_s3_leaves_nothing(started_s3: Any, moto: Any) -> None:
    core = await started_s3(moto.endpoint, TAXPORTAL_UPLOADS__MAX_FILE_MB="6")
    portal = await new_portal()

    with pytest.raises(uploads.UploadError) as caught:  # cut off after one 5 MiB part
        await uploads.upload(
            core, owner(portal), portal.id, "big.pdf", chunked(pdf_of(7 * MiB, 4), MiB)
        )

    assert caught.value.kind == "too_large"
    await nothing_left(core, portal)
    client = await core.plugins.storage.client()
    bucket = core.plugins.storage.settings.bucket
    assert (await client.list_multipart_uploads(Bucket=bucket)).get("Uploads", []) == []
    assert (await client.list_objects_v2(Bucket=bucket)).get("Contents", []) == []
