"""storage_local: the storage contract, plus what only a local disk has (paths, temp files)."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from taxportal.config import load_config
from taxportal.plugins import Plugins, build_plugin_manager
from taxportal.testing.storage_contract import (
    ChunkSourceFailed,
    StorageContract,
    chunks_of,
    failing_after,
    payload,
    read_all,
)


class TestLocalStorageContract(StorageContract):
    @pytest.fixture
    async def storage_backend(self, make_storage_plugins):
        plugins = await make_storage_plugins("storage_local")
        return plugins.storage


@pytest.fixture
async def local(make_storage_plugins):
    return (await make_storage_plugins("storage_local")).storage


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


async def test_it_is_the_default_storage(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(env={"TAXPORTAL_SERVER__DATA_DIR": str(tmp_path / "data")})
    plugins = Plugins(build_plugin_manager(config), config)

    await plugins.resolve_backends()

    assert plugins.storage is not None and plugins.storage.name == "storage_local"
    assert not (tmp_path / "data").exists()  # nothing is created until the first put


async def test_files_live_under_the_data_directory(local, tmp_path):
    await local.put("portal-7/upload_1", chunks_of(b"W-2"))

    [path] = files_under(tmp_path / "data" / "files")
    assert path.read_bytes() == b"W-2"
    assert path.name == "portal-7~upload_1"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # taxpayers' documents


@pytest.mark.parametrize("relative", [True, False])
async def test_directory_setting(make_storage_plugins, tmp_path, relative):
    directory = "vault" if relative else str(tmp_path / "elsewhere")
    plugins = await make_storage_plugins("storage_local", {"directory": directory})

    await plugins.storage.put("k1", chunks_of(b"bytes"))

    root = tmp_path / "data" / "vault" if relative else tmp_path / "elsewhere"
    assert [p.read_bytes() for p in files_under(root)] == [b"bytes"]


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "a/../../x",
        "/etc/passwd",
        "..",
        ".hidden",
        "A",
        "a//b",
        "a/",
        "",
        "a.b",
        "a\x00b",
        "a\nb",
        "é",
        "a" * 202,
        "-a",
        "a b",
    ],
)
async def test_keys_outside_the_core_alphabet_are_refused(local, tmp_path, key):
    for call in (local.exists(key), local.size(key), local.delete(key), read_all(local, key)):
        with pytest.raises(ValueError, match="not a valid storage key"):
            await call
    with pytest.raises(ValueError, match="not a valid storage key"):
        await local.put(key, chunks_of(b"x"))
    assert not (tmp_path / "data").exists()


async def test_longest_valid_key_is_accepted(local):
    key = "a" * 201
    await local.put(key, chunks_of(b"x"))
    assert await read_all(local, key) == b"x"


async def test_nothing_is_visible_under_the_key_while_a_put_runs(local, tmp_path):
    reached, release = asyncio.Event(), asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield payload(3 * 1024 * 1024, seed=1)
        reached.set()
        await release.wait()
        yield b"the end"

    task = asyncio.create_task(local.put("slow", slow()))
    await reached.wait()
    await asyncio.sleep(0.05)

    assert not await local.exists("slow")
    [temp] = files_under(tmp_path / "data" / "files")
    assert temp.name.startswith(".slow.") and temp.name.endswith(".part")

    release.set()
    assert await task == 3 * 1024 * 1024 + 7
    [final] = files_under(tmp_path / "data" / "files")
    assert final.name == "slow" and final.parent == temp.parent


@pytest.mark.parametrize("fail_at", [0, 10, 3 * 1024 * 1024])
async def test_a_failed_put_leaves_no_temporary_file(local, tmp_path, fail_at):
    await local.put("kept", chunks_of(b"other file"))

    with pytest.raises(ChunkSourceFailed):
        await local.put("cut", failing_after(payload(fail_at), fail_at))

    assert [p.name for p in files_under(tmp_path / "data" / "files")] == ["kept"]


async def test_cleanup_partial_removes_only_stale_temporary_files(make_storage_plugins, tmp_path):
    plugins = await make_storage_plugins("storage_local", {"stale_minutes": 30})
    local = plugins.storage
    await local.put("kept", chunks_of(b"a finished file"))
    [kept] = files_under(tmp_path / "data" / "files")
    stale = kept.parent / ".killed.0123456789abcdef.part"
    fresh = kept.parent / ".running.fedcba9876543210.part"
    stale.write_bytes(b"half a file")
    fresh.write_bytes(b"an upload in progress")
    old = time.time() - 31 * 60
    os.utime(stale, (old, old))
    os.utime(kept, (old, old))

    assert await local.cleanup_partial() == 1

    assert files_under(tmp_path / "data" / "files") == sorted([kept, fresh])
    assert await read_all(local, "kept") == b"a finished file"


async def test_cleanup_partial_with_no_directory_yet(local):
    assert await local.cleanup_partial() == 0


async def test_a_reader_keeps_its_bytes_when_the_key_is_replaced(local):
    await local.put("doc", chunks_of(payload(1024 * 1024, seed=2)))
    stream = local.get("doc")
    first = await anext(stream)

    await local.put("doc", chunks_of(b"version 2"))

    rest = b"".join([chunk async for chunk in stream])
    assert first + rest == payload(1024 * 1024, seed=2)
    assert await read_all(local, "doc") == b"version 2"


async def test_the_app_start_removes_what_a_crash_left(tmp_path):
    import os
    import time

    from taxportal.config import load_config
    from taxportal.runtime import build_core, started
    from tests.support import fast_passwords, migrate

    config = load_config(
        None,
        env={
            "TAXPORTAL_SERVER__DATA_DIR": str(tmp_path / "data"),
            "TAXPORTAL_PLUGINS__ENABLED": '["storage_local"]',
        },
    )
    await migrate(config)
    leftover = tmp_path / "data" / "files" / "ab" / ".upload-1.deadbeef.part"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a W-2")
    old = time.time() - 3 * 3600
    os.utime(leftover, (old, old))
    async with started(build_core(config, (), fast_passwords())):
        assert not leftover.exists()
