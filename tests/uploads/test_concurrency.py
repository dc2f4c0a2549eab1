"""Uploads at the same instant: the portal quota and the duplicate check still hold, and
fifty uploads from ten taxpayers all land in the right portal with the right bytes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from taxportal.models import UploadedFile
from taxportal.services.uploads import intake as uploads
from tests.uploads.helpers import (
    HERE,
    chunked,
    gather,
    new_portal,
    owner,
    pdf_of,
    process_env,
    sha256,
    stored_files,
)


class Gate:
    """Holds every upload after its first chunk until all ``expected`` have begun, so each
    one passes the early quota check before any of them is finished."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.arrived = 0
        self.open = asyncio.Event()

    async def held(self, data: bytes) -> AsyncIterator[bytes]:
        yield data[:1024]
        self.arrived += 1
        if self.arrived == self.expected:
            self.open.set()
        await self.open.wait()
        async for chunk in chunked(data[1024:], 1024):
            yield chunk


async def outcome(call: Any) -> str:
    try:
        return (await call).status
    except uploads.UploadError as refusal:
        return refusal.kind


async def test_concurrent_uploads_cannot_overrun_the_quota(started: Any) -> None:
    core = await started(TAXPORTAL_UPLOADS__MAX_PORTAL_MB="0.01")  # 10,485 bytes
    portal = await new_portal()
    gate = Gate(4)
    files = [pdf_of(4000, seed) for seed in range(4)]  # each fits alone; only two fit together

    results = await asyncio.gather(
        *(
            outcome(uploads.upload(core, owner(portal), portal.id, f"{i}.pdf", gate.held(data)))
            for i, data in enumerate(files)
        )
    )

    assert sorted(results) == ["quota", "quota", "stored", "stored"]
    listed = await uploads.list_files(owner(portal), portal.id)
    assert len(listed) == 2 and sum(f.size for f in listed) <= 10_485
    assert await UploadedFile.all().count() == 2  # the losers' rows are gone
    assert len(stored_files(core)) == 2  # and their bytes


async def test_the_same_file_twice_at_once_is_stored_once(started: Any) -> None:
    core = await started()
    portal = await new_portal()
    gate = Gate(3)
    data = pdf_of(50_000, seed=9)

    results = await asyncio.gather(
        *(
            uploads.upload(core, owner(portal), portal.id, f"W-2 ({i}).pdf", gate.held(data))
            for i in range(3)
        )
    )

    assert sorted(r.status for r in results) == ["duplicate", "duplicate", "stored"]
    [kept] = [r.file for r in results if r.status == "stored"]
    assert {r.file.id for r in results} == {kept.id}  # duplicates point at the kept one
    assert {r.duplicate_of for r in results if r.status == "duplicate"} == {kept.file_name}
    assert await UploadedFile.all().count() == 1
    assert len(stored_files(core)) == 1


async def test_fifty_uploads_from_ten_taxpayers_at_once(started: Any) -> None:
    core = await started()
    portals = [await new_portal(f"Taxpayer{n}") for n in range(10)]
    sent = {
        (portal.id, f"doc {n}.pdf"): pdf_of(20_000 + 997 * n + portal.id, seed=portal.id * 100 + n)
        for portal in portals
        for n in range(5)
    }

    results = await asyncio.gather(
        *(
            uploads.upload(core, owner(portal), portal.id, name, chunked(data, 4096))
            for portal in portals
            for (portal_id, name), data in sent.items()
            if portal_id == portal.id
        )
    )

    assert [r.status for r in results] == ["stored"] * 50
    for portal in portals:
        listed = await uploads.list_files(owner(portal), portal.id)
        assert sorted(f.file_name for f in listed) == [f"doc {n}.pdf" for n in range(5)]
        for row in listed:
            data = sent[(portal.id, row.file_name)]
            _, stream = await uploads.open_stream(core, owner(portal), portal.id, row.id)
            assert sha256(await gather(stream)) == row.sha256 == sha256(data)
            assert row.storage_key.startswith(f"u/{portal.id}/")
    assert await UploadedFile.filter(state="uploading").count() == 0
    assert len(stored_files(core)) == 50


@pytest.mark.parametrize("same_bytes", [False, True], ids=["quota", "duplicate"])
async def test_uploads_from_two_processes_at_once(
    started: Any, tmp_path: Any, same_bytes: bool
) -> None:
    """Two processes (two server workers) finish at the same moment: the lock is the
    database's, not the process's."""
    core = await started(TAXPORTAL_UPLOADS__MAX_PORTAL_MB="1")
    portal = await new_portal()
    gate = tmp_path / "go"
    env = process_env(core.config, TAXPORTAL_UPLOADS__MAX_PORTAL_MB="1")
    size = 600 * 1024  # each fits alone, not both
    script = [sys.executable, str(HERE / "slow_upload.py"), str(portal.id), str(size)]
    workers = [
        subprocess.Popen(
            [*script, str(1 if same_bytes else seed), "--gate", str(gate)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for seed in (1, 2)
    ]
    for worker in workers:
        assert worker.stdout is not None
        line = await asyncio.to_thread(worker.stdout.readline)
        assert line.strip() == b"streaming", worker.stderr.read() if worker.stderr else b""
    gate.touch()
    outcomes = []
    for worker in workers:
        out, err = await asyncio.to_thread(worker.communicate, timeout=60)
        assert worker.returncode == 0, err.decode()
        outcomes.append(json.loads(out.decode().strip().splitlines()[-1]))

    statuses = sorted(o["status"] for o in outcomes)
    assert statuses == (["duplicate", "stored"] if same_bytes else ["refused", "stored"])
    assert await UploadedFile.all().count() == 1
    assert len(stored_files(core)) == 1
