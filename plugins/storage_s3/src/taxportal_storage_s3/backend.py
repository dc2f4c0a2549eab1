"""File bytes in an S3-compatible bucket: multipart uploads while the bytes arrive."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from taxportal.api import check_storage_key
from taxportal_storage_s3.settings import ENV, S3StorageSettings

log = logging.getLogger(__name__)
NAME = "storage_s3"
READ_CHUNK = 256 * 1024
MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3StorageError(OSError):
    """The store answered, but no: access denied, no such bucket, ... (no secret inside)."""


class S3Unavailable(S3StorageError, ConnectionError):
    """The endpoint could not be reached (refused, timed out, TLS failure)."""


class S3Storage:
    """The "storage_s3" backend. One client per backend, opened on first use."""

    name = NAME

    def __init__(self, settings: S3StorageSettings) -> None:
        self.settings = settings
        self._client: Any = None
        self._stack = contextlib.AsyncExitStack()
        self._lock = asyncio.Lock()

    # client --------------------------------------------------------------------

    async def client(self) -> Any:
        """The aiobotocore S3 client, created on first use and kept until close()."""
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await self._stack.enter_async_context(self._create_client())
        return self._client

    def _create_client(self) -> Any:
        s = self.settings
        style = s.addressing_style or ("path" if s.endpoint_url else "auto")
        config = AioConfig(
            signature_version="s3v4",
            s3={"addressing_style": style},
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            retries={"max_attempts": s.max_attempts, "mode": "standard"},
        )
        credentials = {}
        if s.access_key_id is not None and s.secret_access_key is not None:
            credentials = {
                "aws_access_key_id": s.access_key_id.get_secret_value(),
                "aws_secret_access_key": s.secret_access_key.get_secret_value(),
            }
        return get_session().create_client(
            "s3",
            region_name=s.region,
            endpoint_url=s.endpoint_url,
            verify=str(s.ca_file) if s.ca_file else None,
            config=config,
            **credentials,
        )

    async def close(self) -> None:
        """Close the client and its connections; the next call opens a new one."""
        async with self._lock:
            await self._stack.aclose()
            self._client = None

    # the storage protocol ------------------------------------------------------

    def object_key(self, key: str) -> str:
        return self.settings.prefix + check_storage_key(key)

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> int:
        target = self.object_key(key)
        part_size = self.settings.part_size
        client = await self.client()
        # the chunks as they came, copied once into each part (see _take)
        pending: deque[bytes] = deque()
        pending_size = total = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                pending.append(chunk)
                pending_size += len(chunk)
                total += len(chunk)
                while pending_size >= part_size:
                    if upload_id is None:
                        upload_id = await self._start_multipart(client, target)
                    pending_size -= part_size
                    # no name kept for the part: it is freed before the next one is built
                    part = await self._upload_part(
                        client, target, upload_id, parts, _take(pending, part_size)
                    )
                    parts.append(part)
            rest = _take(pending, pending_size)
            if upload_id is None:  # smaller than one part: a single request
                with self._errors("put", key):
                    await client.put_object(
                        Bucket=self.settings.bucket,
                        Key=target,
                        Body=rest,
                        **self.settings.encryption_args(),
                    )
                return total
            if pending_size:
                parts.append(await self._upload_part(client, target, upload_id, parts, rest))
            with self._errors("put", key):
                await client.complete_multipart_upload(
                    Bucket=self.settings.bucket,
                    Key=target,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
            return total
        except BaseException:
            if upload_id is not None:
                # shielded: a second cancellation must not leave the parts stored
                await asyncio.shield(self._abort(client, target, upload_id))
            raise

    async def _start_multipart(self, client: Any, target: str) -> str:
        with self._errors("put", target):
            created = await client.create_multipart_upload(
                Bucket=self.settings.bucket, Key=target, **self.settings.encryption_args()
            )
        return created["UploadId"]

    async def _upload_part(
        self, client: Any, target: str, upload_id: str, parts: list[Any], body: io.BytesIO
    ) -> dict[str, Any]:
        number = len(parts) + 1
        with self._errors("put", target):
            answer = await client.upload_part(
                Bucket=self.settings.bucket,
                Key=target,
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
            )
        return {"ETag": answer["ETag"], "PartNumber": number}

    async def _abort(self, client: Any, target: str, upload_id: str) -> None:
        try:
            await client.abort_multipart_upload(
                Bucket=self.settings.bucket, Key=target, UploadId=upload_id
            )
        except Exception as exc:  # noqa: BLE001  # the put's own error is the one to raise
            log.warning(
                "could not abort the multipart upload of %s at %s (%s); a bucket lifecycle "
                "rule for incomplete multipart uploads will remove its parts",
                target,
                self.settings.endpoint_label,
                type(exc).__name__,
            )

    async def remove_unfinished(self, before: datetime) -> int:
        """Abort the multipart uploads under the prefix begun before ``before``.

        The core calls this once when the server starts, before it serves, with the start
        time: such uploads belong to a process that died. Only keys the core could have
        made are touched, so other software sharing the bucket keeps its uploads.
        """
        client = await self.client()
        prefix = self.settings.prefix
        query: dict[str, Any] = {"Bucket": self.settings.bucket, "Prefix": prefix}
        aborted = 0
        while True:
            with self._errors("list of unfinished uploads", prefix or "/"):
                answer = await client.list_multipart_uploads(**query)
            for upload in answer.get("Uploads", []):
                if upload["Initiated"] < before and self._is_core_object(upload["Key"]):
                    await self._abort(client, upload["Key"], upload["UploadId"])
                    aborted += 1
            if not answer.get("IsTruncated"):
                break
            query["KeyMarker"] = answer["NextKeyMarker"]
            query["UploadIdMarker"] = answer["NextUploadIdMarker"]
        if aborted:
            log.info("aborted %d unfinished multipart upload(s) at %s", aborted, prefix or "/")
        return aborted

    def _is_core_object(self, name: str) -> bool:
        """Under the prefix (some stores ignore the listing's Prefix) and a key the core makes."""
        prefix = self.settings.prefix
        try:
            check_storage_key(name.removeprefix(prefix))
        except ValueError:
            return False
        return name.startswith(prefix)

    async def get(self, key: str) -> AsyncIterator[bytes]:
        client = await self.client()
        try:
            with self._errors("get", key):
                answer = await client.get_object(
                    Bucket=self.settings.bucket, Key=self.object_key(key)
                )
        except _Missing:
            raise KeyError(key) from None
        async with answer["Body"] as body:
            with self._errors("get", key):
                async for chunk in body.iter_chunks(READ_CHUNK):
                    yield chunk

    async def delete(self, key: str) -> None:
        client = await self.client()
        with self._errors("delete", key):
            await client.delete_object(Bucket=self.settings.bucket, Key=self.object_key(key))

    async def exists(self, key: str) -> bool:
        try:
            await self._head(key)
        except _Missing:
            return False
        return True

    async def size(self, key: str) -> int:
        try:
            answer = await self._head(key)
        except _Missing:
            raise KeyError(key) from None
        return int(answer["ContentLength"])

    async def _head(self, key: str) -> dict[str, Any]:
        client = await self.client()
        with self._errors("head", key):
            return await client.head_object(Bucket=self.settings.bucket, Key=self.object_key(key))

    # errors --------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, operation: str, key: str) -> Iterator[None]:
        """botocore's exceptions as messages naming the endpoint and bucket, never a secret."""
        where = f"{self.settings.endpoint_label} (bucket '{self.settings.bucket}')"
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "?"))
            if code in MISSING:
                raise _Missing(key) from exc
            reason = error.get("Message") or code
            raise S3StorageError(
                f"S3 store {where} refused the {operation} of '{key}': {code}: {reason}"
            ) from exc
        except (BotoConnectionError, HTTPClientError) as exc:
            raise S3Unavailable(f"cannot reach the S3 store at {where}: {exc}") from exc
        except NoCredentialsError as exc:
            raise S3StorageError(
                f"no credentials for the S3 store at {where}: set {ENV}ACCESS_KEY_ID and "
                f"{ENV}SECRET_ACCESS_KEY"
            ) from exc
        except BotoCoreError as exc:
            raise S3StorageError(f"S3 {operation} at {where} failed: {exc}") from exc


def _take(pending: deque[bytes], size: int) -> io.BytesIO:
    """The first ``size`` bytes of the pending chunks, in a buffer of its own; the rest
    stays pending. A BytesIO that owns its bytes: botocore would wrap plain bytes in one
    that shares them, and aiohttp's getbuffer() would then copy the whole part again."""
    part = io.BytesIO()
    count = 0
    while count < size:
        chunk = pending.popleft()
        room = size - count
        if len(chunk) > room:
            pending.appendleft(chunk[room:])
            chunk = chunk[:room]
        part.write(chunk)
        count += len(chunk)
    part.seek(0)
    return part


class _Missing(Exception):
    """Internal: the store said 404 for this key."""
