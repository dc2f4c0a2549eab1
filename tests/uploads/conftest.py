"""Fixtures for the upload tests: a started app core, moto_server on loopback."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.uploads.helpers import MotoServer, s3_env


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    """One moto_server for the session's S3 tests."""
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def started_s3(started: Callable[..., Any]) -> Callable[..., Any]:
    """``await started_s3(endpoint, **env)``: a core on storage_s3 and a fresh bucket there."""

    async def make(endpoint: str, create_bucket: bool = True, **env: str) -> Any:
        bucket = f"taxportal-{secrets.token_hex(4)}"
        core = await started(**s3_env(endpoint, bucket), **env)
        if create_bucket:
            client = await core.plugins.storage.client()
            await client.create_bucket(Bucket=bucket)
        return core

    return make
