"""Fixtures for taxpayer-account tests: an app and a browser-like client (cookies kept)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
async def taxpayer(build_app: Any, client_for: Any):  # type: ignore[no-untyped-def]
    """A client on a fresh app with outbox email and text messages."""
    return await client_for(await build_app())
