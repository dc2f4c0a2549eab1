"""storage_s3 against moto_server on loopback: the storage contract, plus multipart,
abort, encryption, prefixes, settings and an endpoint that refuses connections."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from taxportal.config import ConfigError
from taxportal.plugins import PluginError
from taxportal.testing.storage_contract import (
    ChunkSourceFailed,
    StorageContract,
    chunks_of,
    failing_after,
    payload,
    read_all,
)

MiB = 1024 * 1024
ACCESS_KEY = "AKIATESTPORTAL"
SECRET_KEY = "s3cret/Key+ThatMustNeverShow"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto_server on 127.0.0.1, one per test session."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
async def make_s3(make_storage_plugins, moto_endpoint) -> AsyncIterator[Any]:
    """``await make_s3(**settings)``: the facade with storage_s3 on a fresh, empty bucket."""
    made: list[Any] = []

    async def make(create_bucket: bool = True, **settings: Any) -> Any:
        values = {
            "endpoint_url": moto_endpoint,
            "bucket": f"taxportal-{secrets.token_hex(4)}",
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "part_size_mib": 5,
        }
        values.update(settings)
        plugins = await make_storage_plugins("storage_s3", values)
        made.append(plugins.storage)
        if create_bucket:
            client = await plugins.storage.client()
            await client.create_bucket(Bucket=values["bucket"])
        return plugins

    yield make
    for storage in made:
        await storage.close()


class TestS3StorageContract(StorageContract):
    @pytest.fixture
    async def storage_backend(self, make_s3):
        return (await make_s3()).storage


@pytest.fixture
async def s3(make_s3):
    return (await make_s3()).storage


def record_parts(client: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Wraps the client's upload_part: the size of every part sent, in order."""
    sizes: list[int] = []
    upload_part = client.upload_part

    async def recording(**kwargs: Any) -> Any:
        sizes.append(kwargs["Body"].getbuffer().nbytes)  # a BytesIO of its own
        return await upload_part(**kwargs)

    monkeypatch.setattr(client, "upload_part", recording)
    return sizes


async def pending_uploads(storage: Any) -> list[Any]:
    client = await storage.client()
    answer = await client.list_multipart_uploads(Bucket=storage.settings.bucket)
    return answer.get("Uploads", [])


async def head(storage: Any, key: str) -> dict[str, Any]:
    client = await storage.client()
    return await client.head_object(Bucket=storage.settings.bucket, Key=storage.object_key(key))


async def test_large_objects_go_up_in_parts_of_the_configured_size(s3, monkeypatch):
    sizes = record_parts(await s3.client(), monkeypatch)
    data = payload(12 * MiB + 5, seed=1)

    assert await s3.put("big", chunks_of(data, [100_000])) == len(data)

    assert sizes == [5 * MiB, 5 * MiB, 2 * MiB + 5]
    assert (await head(s3, "big"))["ETag"].strip('"').endswith("-3")  # a multipart object
    assert await read_all(s3, "big") == data
    assert await pending_uploads(s3) == []


async def test_an_exact_multiple_of_the_part_size_sends_no_empty_part(s3, monkeypatch):
    sizes = record_parts(await s3.client(), monkeypatch)

    await s3.put("ten", chunks_of(payload(10 * MiB), [MiB]))

    assert sizes == [5 * MiB, 5 * MiB]
    assert await s3.size("ten") == 10 * MiB


async def test_small_objects_are_one_put_object(s3, monkeypatch):
    sizes = record_parts(await s3.client(), monkeypatch)

    await s3.put("small", chunks_of(payload(5 * MiB - 1)))

    assert sizes == []
    assert "-" not in (await head(s3, "small"))["ETag"]


async def test_a_failed_multipart_put_is_aborted(s3):
    with pytest.raises(ChunkSourceFailed):
        await s3.put("cut", failing_after(payload(11 * MiB), 11 * MiB))

    assert await pending_uploads(s3) == []
    assert not await s3.exists("cut")


async def test_a_store_error_in_the_middle_aborts_the_upload(s3, monkeypatch):
    client = await s3.client()
    upload_part = client.upload_part

    async def second_part_fails(**kwargs: Any) -> Any:
        if kwargs["PartNumber"] == 2:
            raise RuntimeError("connection dropped")
        return await upload_part(**kwargs)

    monkeypatch.setattr(client, "upload_part", second_part_fails)

    with pytest.raises(RuntimeError, match="connection dropped"):
        await s3.put("dropped", chunks_of(payload(12 * MiB)))

    assert await pending_uploads(s3) == []
    assert not await s3.exists("dropped")


@pytest.mark.parametrize("size", [1000, 6 * MiB], ids=["put_object", "multipart"])
async def test_server_side_encryption_is_requested(make_s3, size):
    storage = (await make_s3(server_side_encryption="AES256")).storage

    await storage.put("sealed", chunks_of(payload(size)))

    assert (await head(storage, "sealed"))["ServerSideEncryption"] == "AES256"


async def test_kms_encryption_with_a_key_id(make_s3):
    storage = (await make_s3(server_side_encryption="aws:kms", kms_key_id="alias/portal")).storage

    await storage.put("sealed", chunks_of(b"8879"))

    answer = await head(storage, "sealed")
    assert answer["ServerSideEncryption"] == "aws:kms"
    assert answer["SSEKMSKeyId"].endswith("alias/portal")


async def test_keys_are_stored_under_the_prefix(make_s3):
    storage = (await make_s3(prefix="/firm-a/")).storage

    await storage.put("portal-1/upload_1", chunks_of(b"W-2"))

    client = await storage.client()
    listed = await client.list_objects_v2(Bucket=storage.settings.bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["firm-a/portal-1/upload_1"]


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "A", "a//b", "a/", "", "a.b", "a" * 202])
async def test_keys_outside_the_core_alphabet_are_refused(s3, key):
    with pytest.raises(ValueError, match="not a valid storage key"):
        await s3.put(key, chunks_of(b"x"))
    with pytest.raises(ValueError, match="not a valid storage key"):
        await s3.exists(key)


async def test_an_endpoint_that_refuses_connections_is_a_clear_error(make_s3):
    endpoint = f"http://127.0.0.1:{free_port()}"
    storage = (await make_s3(create_bucket=False, endpoint_url=endpoint, max_attempts=1)).storage

    for attempt in (
        storage.put("k", chunks_of(b"x")),
        storage.exists("k"),
        storage.size("k"),
        read_all(storage, "k"),
        storage.delete("k"),
    ):
        with pytest.raises(ConnectionError) as caught:
            await attempt
        message = str(caught.value)
        assert message.startswith(f"cannot reach the S3 store at {endpoint} (bucket '")
        assert SECRET_KEY not in message and ACCESS_KEY not in message


async def test_a_missing_bucket_is_named(make_s3):
    storage = (await make_s3(create_bucket=False, bucket="no-such-bucket-here")).storage

    with pytest.raises(OSError, match="NoSuchBucket") as caught:
        await storage.put("k", chunks_of(b"x"))

    assert "no-such-bucket-here" in str(caught.value)
    assert SECRET_KEY not in str(caught.value)


async def test_close_then_use_again(s3):
    await s3.put("k", chunks_of(b"before"))
    await s3.close()

    assert await read_all(s3, "k") == b"before"


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"part_size_mib": 4}, "part_size_mib"),
        ({"part_size_mib": 65}, "part_size_mib"),  # one part per upload is held in memory
        ({"bucket": ""}, "bucket"),
        ({"endpoint_url": "minio.local:9000"}, "endpoint_url"),
        ({"server_side_encryption": "rot13"}, "server_side_encryption"),
        ({"kms_key_id": "alias/x"}, "kms_key_id"),
        ({"secret_access_key": ""}, "ACCESS_KEY_ID"),
    ],
)
async def test_bad_settings_stop_the_start_up(make_storage_plugins, settings, field):
    values = {"bucket": "portal", "access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}
    values.update(settings)
    if values["secret_access_key"] == "":
        del values["secret_access_key"]

    with pytest.raises(ConfigError, match=r"\[storage_s3\]") as caught:
        await make_storage_plugins("storage_s3", values)

    assert field in str(caught.value)
    assert SECRET_KEY not in str(caught.value)


async def test_a_secret_in_the_file_is_refused(make_storage_plugins):
    toml = f'[storage_s3]\nbucket = "portal"\nsecret_access_key = "{SECRET_KEY}"\n'

    with pytest.raises(ConfigError, match="TAXPORTAL_STORAGE_S3__SECRET_ACCESS_KEY"):
        await make_storage_plugins("storage_s3", toml=toml)


async def test_two_storage_plugins_need_a_choice(make_storage_plugins):
    both = {"TAXPORTAL_PLUGINS__ENABLED": '["storage_local", "storage_s3"]'}
    s3_settings = {"TAXPORTAL_STORAGE_S3__BUCKET": "portal"}

    with pytest.raises(PluginError, match="several plugins claim"):
        await make_storage_plugins("storage_s3", **both, **s3_settings)

    chosen = await make_storage_plugins(
        "storage_s3", **both, **s3_settings, TAXPORTAL_STORAGE__BACKEND="storage_s3"
    )
    assert chosen.storage.name == "storage_s3"
