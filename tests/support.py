"""Helpers for tests: sign in (both factors), read CSRF tokens, migrate, a storage that is
down. Fixtures: conftest.py."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pyotp
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from taxportal import hookimpl
from taxportal.config import AppConfig
from taxportal.db import apply_migrations
from taxportal.models import StaffUser
from taxportal.runtime import build_core, database_config
from taxportal.services.accounts.passwords import PasswordHasher
from taxportal.services.accounts.second_factor import CIPHER_CONTEXT
from taxportal.web.keys import CORE
from tests import database_copies

ADMIN_EMAIL = "admin@firm.example.com"
ADMIN_PASSWORD = "correct horse battery"
# the default plugins the tests leave off unless they ask (keys, a pool, their own tables)
OPTIONAL_PLUGINS_OFF = '["signing_pdf", "chat"]'
SENTINEL_SSN = "123-45-6789"  # searched for in files, logs and pages: it must never appear


def fast_passwords() -> PasswordHasher:
    """argon2id with tiny costs: the suite tests behaviour, not hashing cost."""
    return PasswordHasher(fast_for_tests=True)


async def migrate(config: AppConfig, extra_plugins: tuple[object, ...] = ()) -> None:
    """Migrate the config's database: a copy of this process' migrated template when the
    database is empty (tests/database_copies.py), a real migration otherwise."""
    tconfig = database_config(build_core(config, extra_plugins, fast_passwords()))
    copies = database_copies.current
    if copies is None or not await copies.migrate(tconfig):
        await apply_migrations(tconfig)


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
    """Password, then the second factor (set up on first use), the way a browser does it."""
    response = await sign_in_with_password(client, email, password)
    assert response.status == 303, await response.text()
    assert response.headers["Location"].startswith("/staff/2fa"), response.headers["Location"]
    await pass_second_factor(client, email)


async def sign_in_with_password(
    client: TestClient, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
) -> ClientResponse:
    """Only the password step: the session it starts shows no client data yet."""
    token = await csrf_from(client, "/staff/login")
    return await client.post(
        "/staff/login",
        data={
            "csrf_token": token,
            "email": email,
            "password": password,
            "next": "/staff/",
        },
        allow_redirects=False,
    )


SECRET_ON_PAGE = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')


def secret_on_page(html: str) -> str | None:
    """The authenticator key the set-up page shows for manual entry (spaces removed)."""
    match = SECRET_ON_PAGE.search(html)
    return match.group(1).replace(" ", "") if match else None


async def totp_secret_of(client: TestClient, email: str) -> str:
    """The user's secret, read from the database as the server would (tests only)."""
    user = await StaffUser.get(email=email.lower())
    return str(client.app[CORE].cipher.decrypt(user.totp_secret_encrypted, CIPHER_CONTEXT))


class ServerClock:
    """The clock of the apps tests build (``Core.clock``): real time plus an offset that
    ``fresh_code`` moves on by whole 30-second steps instead of waiting for them."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


server_clock = ServerClock()  # set on every app build_app makes; reset for each test


async def fresh_code(secret: str, email: str) -> str:
    """A code the server has not accepted yet: each 30-second step is accepted only once,
    so when this user has used up the server's window, the server's clock moves on a step."""
    user = await StaffUser.get(email=email.lower())
    now = int(server_clock()) // 30
    step = max(now, user.totp_last_step + 1)
    if step > now + 1:  # beyond the server's window (one step ahead): its time comes now
        server_clock.offset += (step - now - 1) * 30
    return str(pyotp.TOTP(secret).generate_otp(step))


async def pass_second_factor(client: TestClient, email: str = ADMIN_EMAIL) -> None:
    """On /staff/2fa: set up the authenticator from the page's key, or type a code."""
    page = await client.get("/staff/2fa?next=/staff/", allow_redirects=False)
    html = await page.text()
    assert page.status == 200, html
    secret = secret_on_page(html) or await totp_secret_of(client, email)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token, html
    response = await client.post(
        "/staff/2fa",
        data={
            "csrf_token": token.group(1),
            "code": await fresh_code(secret, email),
            "next": "/staff/",
        },
        allow_redirects=False,
    )
    text = await response.text()
    # Set-up answers with the recovery codes page; a sign-in goes on to the next page.
    assert response.status in (200, 303), text
    assert response.status == 303 or "Save your recovery codes" in text, text


class BrokenStorage:
    """A storage backend (name "broken") whose every write fails with ``error``: a full
    disk, an S3 endpoint that refuses connections."""

    name = "broken"

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> int:
        async for _ in chunks:
            raise self.error
        return 0

    async def get(self, key: str) -> AsyncIterator[bytes]:
        raise KeyError(key)
        yield b""  # pragma: no cover

    async def delete(self, key: str) -> None:
        return None

    async def exists(self, key: str) -> bool:
        return False

    async def size(self, key: str) -> int:
        raise KeyError(key)


class BrokenStoragePlugin:
    """Offers ``BrokenStorage``; start with storage_local disabled and
    ``TAXPORTAL_STORAGE__BACKEND="broken"``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    @hookimpl
    def taxportal_storage_backends(self, config: Any) -> list[Any]:
        return [BrokenStorage(self.error)]


async def jobs_finished(core: Any, kind: str, timeout: float = 10.0) -> None:
    """Run the due ``kind`` jobs here, and wait for those the app's own worker holds: until
    none is running or due (one that failed and waits for its back-off does not count)."""
    import asyncio

    from tortoise.expressions import Q

    from taxportal.jobs import Worker
    from taxportal.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await Worker(core.jobs, name="test").run_due()
        due = Q(state="queued", run_after__lte=int(time.time() * 1000))
        if not await Job.filter(Q(state="running") | due, kind=kind).exists():
            return
        await asyncio.sleep(0.05)
