"""Helpers for tests: sign in, read CSRF tokens, migrate. Fixtures live in conftest.py."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from taxportal.config import AppConfig
from taxportal.db import apply_migrations
from taxportal.runtime import build_core, database_config
from taxportal.services.passwords import PasswordHasher

ADMIN_EMAIL = "admin@firm.example.com"
ADMIN_PASSWORD = "correct horse battery"
SENTINEL_SSN = "123-45-6789"  # searched for in files, logs and pages: it must never appear


def fast_passwords() -> PasswordHasher:
    """argon2id with tiny costs: the suite tests behaviour, not hashing cost."""
    return PasswordHasher(fast_for_tests=True)


async def migrate(config: AppConfig, extra_plugins: tuple[object, ...] = ()) -> None:
    await apply_migrations(database_config(build_core(config, extra_plugins, fast_passwords())))


async def csrf_from(client: TestClient, path: str) -> str:
    """The CSRF token of the form on a page (the way a browser gets it)."""
    response = await client.get(path)
    text = await response.text()
    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert match, f"no form with a CSRF token on {path}"
    return match.group(1)


async def sign_in(
    client: TestClient, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
) -> None:
    token = await csrf_from(client, "/staff/login")
    response = await client.post(
        "/staff/login",
        data={
            "csrf_token": token,
            "email": email,
            "password": password,
            "next": "/staff/",
        },
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
