"""A crash in the middle of an upload: after a restart nothing of it is listed and no
bytes, temporary file or multipart upload of it remain (the start-up cleanup)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from taxportal.models import TaxpayerAccount, UploadedFile
from taxportal.services.accounts import sessions
from taxportal.services.uploads import intake as uploads
from taxportal.services.uploads.cleanup import remove_unfinished
from tests.uploads.helpers import (
    HERE,
    PDF,
    MiB,
    MotoServer,
    Server,
    chunked,
    new_portal,
    owner,
    process_env,
    s3_env,
    stored_files,
)


@pytest.fixture
def s3_store() -> Any:
    """A moto_server of the test's own (the kill tests start servers against it)."""
    server = MotoServer().start()
    yield server
    server.stop()


async def until(check: Callable[[], Any], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def temp_files(core: Any) -> list[Path]:
    return [p for p in stored_files(core) if p.name.endswith(".part")]


async def pending_multipart(core: Any) -> list[Any]:
    storage = core.plugins.storage
    client = await storage.client()
    answer = await client.list_multipart_uploads(Bucket=storage.settings.bucket)
    return answer.get("Uploads", [])


async def storage_core(started: Callable[..., Any], kind: str, moto: Any) -> tuple[Any, dict]:
    """A started core on storage_local or on storage_s3 (fresh bucket), and its settings."""
    env = s3_env(moto.endpoint, f"taxportal-{secrets.token_hex(4)}") if kind == "s3" else {}
    env["TAXPORTAL_UPLOADS__MAX_FILE_MB"] = "200"
    core = await started(**env)
    if kind == "s3":
        await (await core.plugins.storage.client()).create_bucket(
            Bucket=env["TAXPORTAL_STORAGE_S3__BUCKET"]
        )
    return core, env


async def bytes_in_flight(core: Any, kind: str) -> bool:
    """Some of the upload reached the storage: a temporary file, or a multipart upload."""
    if kind == "s3":
        return bool(await pending_multipart(core))
    return any(p.stat().st_size >= MiB for p in temp_files(core))


async def nothing_left(core: Any, kind: str, portal: Any) -> None:
    assert await UploadedFile.all().count() == 0  # no "uploading" row either
    assert await uploads.list_files(owner(portal), portal.id) == []
    assert stored_files(core) == []  # neither file bytes nor a temporary file
    if kind == "s3":
        client = await core.plugins.storage.client()
        bucket = core.plugins.storage.settings.bucket
        assert await pending_multipart(core) == []
        assert (await client.list_objects_v2(Bucket=bucket)).get("Contents", []) == []


@pytest.mark.parametrize("kind", ["local", "s3"])
async def test_an_upload_process_killed_midway_is_cleaned_at_the_next_start(
    started: Any, s3_store: Any, tmp_path: Path, kind: str
) -> None:
    """The upload runs through the service in a process of its own; SIGKILL; then the real
    `taxportal serve` starts on the same data directory and database."""
    core, env = await storage_core(started, kind, s3_store)
    portal = await new_portal()
    # 190 MiB at about 5 MiB a second: still flowing when killed, however busy the machine
    script = [sys.executable, str(HERE / "slow_upload.py"), str(portal.id), str(190 * MiB), "7"]
    uploader = subprocess.Popen(
        [*script, "--delay", "0.05"],
        env=process_env(core.config, **env),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        await until(lambda: UploadedFile.filter(state="uploading").exists(), what="the row")
        await until(lambda: bytes_in_flight(core, kind), what="bytes in the storage")
    finally:
        uploader.kill()
        _, err = uploader.communicate(timeout=10)
    assert uploader.returncode == -9, err.decode()  # killed while bytes were flowing
    assert await UploadedFile.filter(state="uploading").count() == 1
    assert await uploads.list_files(owner(portal), portal.id) == []  # never listed

    server = Server(process_env(core.config, **env), tmp_path).start()
    try:
        await nothing_left(core, kind, portal)
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["local", "s3"])
async def test_a_server_killed_during_an_http_upload(
    started: Any, s3_store: Any, tmp_path: Path, kind: str
) -> None:
    """A taxpayer streams a file to the real server, which is SIGKILLed while the bytes
    flow; after the restart the file is nowhere."""
    core, env = await storage_core(started, kind, s3_store)
    portal = await new_portal()
    account = await TaxpayerAccount.create(
        portal=portal, username="sherry", username_key="sherry", password_hash="x"
    )
    token, session = await sessions.start(core, account=account, second_factor=True)
    server = Server(process_env(core.config, **env), tmp_path).start()

    async def slowly() -> AsyncIterator[bytes]:
        yield PDF[:9] + b"\0" * (256 * 1024 - 9)
        for _ in range(760):  # up to 190 MiB at about 5 MiB a second: killed long before
            await asyncio.sleep(0.05)
            yield b"\0" * (256 * 1024)

    async def send() -> None:
        async with aiohttp.ClientSession(cookies={"tp_taxpayer": token}) as client:
            await client.put(
                f"{server.base}/portal/files/upload",
                params={"name": "W-2 2025.pdf"},
                data=slowly(),
                headers={"X-CSRF-Token": session.csrf_token, "Accept": "application/json"},
            )

    sending = asyncio.create_task(send())
    try:
        await until(lambda: UploadedFile.filter(state="uploading").exists(), what="the row")
        await until(lambda: bytes_in_flight(core, kind), what="bytes in the storage")
        assert not sending.done()
    finally:
        server.kill()
    with pytest.raises(aiohttp.ClientError):
        await sending
    assert await UploadedFile.filter(state="uploading").count() == 1

    again = Server(process_env(core.config, **env), tmp_path).start()
    try:
        await nothing_left(core, kind, portal)
    finally:
        again.stop()


async def test_rows_of_uploads_begun_after_the_start_are_kept(started: Any) -> None:
    """What a worker of the running server began after the cleanup's moment stays."""
    core = await started()
    portal = await new_portal()
    stored = await uploads.upload(core, owner(portal), portal.id, "w2.pdf", chunked(PDF))
    old = await UploadedFile.create(
        portal=portal, storage_key="u/1/old", file_name="a", content_type="", size=0, sha256=""
    )
    await UploadedFile.filter(id=old.id).update(state="uploading")
    await core.plugins.storage.put("u/1/old", chunked(b"half a W-2"))
    before = dt.datetime.now(dt.UTC)
    live = await UploadedFile.create(
        portal=portal, storage_key="u/1/live", file_name="b", content_type="", size=0, sha256=""
    )
    await UploadedFile.filter(id=live.id).update(state="uploading")
    leftover = core.config.data_dir / "files" / "ab" / ".u~1~dead.0123456789abcdef.part"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half a 1099")
    stamp = before.timestamp() - 1
    os.utime(leftover, (stamp, stamp))
    running = leftover.with_name(".u~1~live.fedcba9876543210.part")
    running.write_bytes(b"a put in progress")

    assert await remove_unfinished(core, before) == 1

    assert not await UploadedFile.exists(id=old.id)
    assert not await core.plugins.storage.exists("u/1/old")
    assert await UploadedFile.filter(state="uploading").values_list("id", flat=True) == [live.id]
    assert not leftover.exists() and running.exists()
    assert [f.id for f in await uploads.list_files(owner(portal), portal.id)] == [stored.file.id]


async def test_s3_aborts_only_its_own_multipart_uploads_begun_before(
    started_s3: Any, moto: Any
) -> None:
    core = await started_s3(moto.endpoint, TAXPORTAL_STORAGE_S3__PREFIX="firm")
    storage = core.plugins.storage
    client = await storage.client()
    bucket = storage.settings.bucket

    async def begin(key: str) -> None:
        await client.create_multipart_upload(Bucket=bucket, Key=key)

    await begin("firm/u/1/dead")
    await begin("firm/Other Software/big.iso")  # not a key the core makes
    await begin("elsewhere/u/1/dead")  # outside the prefix

    # moto reports every multipart upload as begun on 2010-11-10: a moment before that
    # keeps them all, the present aborts the one that is the core's
    assert await storage.remove_unfinished(dt.datetime(2010, 1, 1, tzinfo=dt.UTC)) == 0
    assert await storage.remove_unfinished(dt.datetime.now(dt.UTC)) == 1

    left = await client.list_multipart_uploads(Bucket=bucket)
    assert sorted(u["Key"] for u in left["Uploads"]) == [
        "elsewhere/u/1/dead",
        "firm/Other Software/big.iso",
    ]


async def test_a_storage_down_at_start_keeps_the_row_for_next_time(started_s3: Any) -> None:
    from tests.uploads.helpers import free_port

    core = await started_s3(f"http://127.0.0.1:{free_port()}", create_bucket=False)
    portal = await new_portal()
    row = await UploadedFile.create(
        portal=portal, storage_key="u/1/x", file_name="a", content_type="", size=0, sha256=""
    )
    await UploadedFile.filter(id=row.id).update(state="uploading")

    assert await remove_unfinished(core, dt.datetime.now(dt.UTC)) == 0  # and no exception

    assert await UploadedFile.filter(id=row.id, state="uploading").exists()
