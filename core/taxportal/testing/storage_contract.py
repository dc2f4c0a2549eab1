"""The contract every storage backend keeps, as tests a backend's author can run.

Use it by subclassing :class:`StorageContract` in a test module and supplying a
``storage_backend`` fixture (sync or async, in the class or in a conftest)
that returns a fresh backend, ideally obtained the way the core gets it
(config -> plugin manager -> ``Plugins.resolve_backends()`` ->
``plugins.storage``)::

    from taxportal.testing.storage_contract import StorageContract

    class TestMyStorage(StorageContract):
        @pytest.fixture
        async def storage_backend(self, tmp_path):
            ...
            yield plugins.storage

The tests are coroutines marked ``pytest.mark.asyncio`` (pytest-asyncio; in
its strict mode, declare an async ``storage_backend`` with
``@pytest_asyncio.fixture``). This module imports no plugin.

What the contract says, beyond the hook's docstring
(``taxportal_storage_backends``):

- Keys are opaque strings the core makes from ``[a-z0-9/_-]`` (never a file
  name); two different keys are two different objects, even ``k`` and ``k/a``.
- ``put`` returns the number of bytes it stored. Zero bytes is a valid object
  (the core refuses empty uploads itself; the backend just stores 0 bytes).
- ``put`` to an existing key replaces the object whole: afterwards ``get``
  yields the new bytes and nothing of the old ones.
- ``put`` is all or nothing: when the chunk iterator raises, or the put is
  cancelled, the exception propagates and the key is left as it was before
  (absent for a new key, the previous object for an overwrite); no partial
  object remains anywhere the backend keeps them.
- ``get`` streams: a large object arrives as several chunks. A missing key
  raises ``KeyError`` before any byte is yielded (at the call or at the first
  iteration); ``size`` of a missing key raises ``KeyError`` too.
- ``delete`` of a missing key is not an error.
- Concurrent puts of different keys do not mix their bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import secrets
from collections.abc import AsyncIterator, Iterable

import pytest

from taxportal.contracts import StorageBackend

MiB = 1024 * 1024
LARGE_SIZE = 12 * MiB + 12_345  # more than two 5 MiB parts, not a multiple of any part size


class ChunkSourceFailed(Exception):
    """Raised by the test's chunk iterator half-way through a put."""


def payload(size: int, seed: int = 0) -> bytes:
    """Deterministic bytes that do not compress or repeat."""
    return random.Random(seed).randbytes(size)  # noqa: S311  # test data, not a secret


def new_key(label: str) -> str:
    """A fresh key in the alphabet the core uses."""
    return f"contract/{label}-{secrets.token_hex(6)}"


async def chunks_of(data: bytes, sizes: Iterable[int] = (64 * 1024,)) -> AsyncIterator[bytes]:
    """``data`` cut into chunks whose sizes cycle through ``sizes`` (0 gives an empty chunk)."""
    sizes = list(sizes)
    offset = turn = 0
    while offset < len(data):
        size = sizes[turn % len(sizes)]
        turn += 1
        yield data[offset : offset + size]
        offset += size
        await asyncio.sleep(0)  # let other tasks run, as a network upload would


async def failing_after(data: bytes, fail_at: int, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    """Yields ``data[:fail_at]`` in chunks, then raises :class:`ChunkSourceFailed`."""
    for offset in range(0, fail_at, chunk):
        yield data[offset : min(offset + chunk, fail_at)]
        await asyncio.sleep(0)
    raise ChunkSourceFailed("the upload was cut off")


async def read_all(backend: StorageBackend, key: str) -> bytes:
    return b"".join([chunk async for chunk in backend.get(key)])


async def assert_absent(backend: StorageBackend, key: str) -> None:
    assert not await backend.exists(key)
    with pytest.raises(KeyError):
        await read_all(backend, key)
    with pytest.raises(KeyError):
        await backend.size(key)


@pytest.mark.asyncio
class StorageContract:
    """Subclass this (as ``Test...``) and supply a ``storage_backend`` fixture."""

    async def test_it_is_a_named_storage_backend(self, storage_backend):
        assert isinstance(storage_backend, StorageBackend)
        assert isinstance(storage_backend.name, str) and storage_backend.name

    async def test_small_object_round_trip(self, storage_backend):
        key, data = new_key("small"), b"%PDF-1.7 W-2 Wage and Tax Statement \x00\xff"

        stored = await storage_backend.put(key, chunks_of(data))

        assert stored == len(data)
        assert await storage_backend.exists(key)
        assert await storage_backend.size(key) == len(data)
        assert await read_all(storage_backend, key) == data

    @pytest.mark.parametrize("chunks", [[], [b""], [b"", b""]], ids=["none", "one-empty", "two"])
    async def test_zero_bytes_are_stored_as_zero_bytes(self, storage_backend, chunks):
        key = new_key("empty")

        async def source() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        assert await storage_backend.put(key, source()) == 0
        assert await storage_backend.exists(key)
        assert await storage_backend.size(key) == 0
        assert await read_all(storage_backend, key) == b""

    async def test_many_uneven_chunks_join_in_order(self, storage_backend):
        key, data = new_key("uneven"), payload(1_500_000, seed=1)

        stored = await storage_backend.put(key, chunks_of(data, [1, 0, 7, 65_536, 3, 300_001]))

        assert stored == len(data)
        assert await read_all(storage_backend, key) == data

    async def test_large_object_keeps_its_sha256_and_streams(self, storage_backend):
        key, data = new_key("large"), payload(LARGE_SIZE, seed=2)

        stored = await storage_backend.put(key, chunks_of(data, [64 * 1024]))

        assert stored == LARGE_SIZE
        assert await storage_backend.size(key) == LARGE_SIZE
        digest, count, largest = hashlib.sha256(), 0, 0
        async for chunk in storage_backend.get(key):
            digest.update(chunk)
            count += 1
            largest = max(largest, len(chunk))
        assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
        assert count > 1 and largest < LARGE_SIZE  # streamed, not one blob

    async def test_missing_key(self, storage_backend):
        await assert_absent(storage_backend, new_key("never-stored"))

    async def test_delete_removes_and_deleting_again_is_fine(self, storage_backend):
        key = new_key("delete")
        await storage_backend.put(key, chunks_of(b"scan of a 1099-INT"))

        await storage_backend.delete(key)

        await assert_absent(storage_backend, key)
        await storage_backend.delete(key)
        await storage_backend.delete(new_key("never-stored"))

    async def test_put_over_an_existing_key_replaces_it_whole(self, storage_backend):
        key = new_key("overwrite")
        await storage_backend.put(key, chunks_of(payload(300_000, seed=3)))
        newer = b"version 2, shorter than version 1"

        assert await storage_backend.put(key, chunks_of(newer)) == len(newer)

        assert await storage_backend.size(key) == len(newer)
        assert await read_all(storage_backend, key) == newer

    @pytest.mark.parametrize("fail_at", [0, 1000, 6 * MiB + 1], ids=["start", "small", "large"])
    async def test_a_failed_put_leaves_nothing(self, storage_backend, fail_at):
        key, data = new_key("failed"), payload(fail_at, seed=4)

        with pytest.raises(ChunkSourceFailed):
            await storage_backend.put(key, failing_after(data, fail_at))

        await assert_absent(storage_backend, key)

    async def test_a_failed_overwrite_keeps_the_previous_object(self, storage_backend):
        key, before = new_key("failed-overwrite"), payload(100_000, seed=5)
        await storage_backend.put(key, chunks_of(before))

        with pytest.raises(ChunkSourceFailed):
            await storage_backend.put(key, failing_after(payload(6 * MiB, seed=6), 6 * MiB))

        assert await read_all(storage_backend, key) == before

    async def test_a_cancelled_put_leaves_nothing(self, storage_backend):
        key, reached, never = new_key("cancelled"), asyncio.Event(), asyncio.Event()

        async def stalls() -> AsyncIterator[bytes]:
            yield payload(6 * MiB, seed=7)  # past the first 5 MiB part of a multipart store
            reached.set()
            await never.wait()
            yield b"never sent"

        task = asyncio.create_task(storage_backend.put(key, stalls()))
        await asyncio.wait_for(reached.wait(), timeout=30)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        await assert_absent(storage_backend, key)

    async def test_concurrent_puts_of_different_keys_do_not_mix(self, storage_backend):
        items = {
            new_key(f"concurrent-{i}"): payload(MiB + 1000 * i, seed=100 + i) for i in range(8)
        }

        counts = await asyncio.gather(
            *(storage_backend.put(k, chunks_of(d, [50_000, 70_001])) for k, d in items.items())
        )

        assert counts == [len(d) for d in items.values()]
        read = await asyncio.gather(*(read_all(storage_backend, k) for k in items))
        assert read == list(items.values())

    async def test_keys_that_share_a_prefix_are_different_objects(self, storage_backend):
        base = new_key("prefix")
        keys = [base, f"{base}/a", f"{base}-a", f"{base}_a", f"{base}/a/b"]

        for i, key in enumerate(keys):
            await storage_backend.put(key, chunks_of(f"object {i}".encode()))

        assert [await read_all(storage_backend, k) for k in keys] == [
            f"object {i}".encode() for i in range(len(keys))
        ]
        await storage_backend.delete(f"{base}/a")
        assert [await storage_backend.exists(k) for k in keys] == [True, False, True, True, True]
