"""For plugin authors' tests: a real app with your plugins, driven the way a browser does.

::

    from taxportal.testing.portal import portal_app

    async def test_my_page(tmp_path):
        async with portal_app(tmp_path, MyPlugin()) as portal:
            browser = await portal.signed_in_taxpayer(language="es")
            page = await browser.get("/portal/mine")
            file_id = await portal.upload(browser, "w2.pdf")
            await portal.run_jobs()
            assert "Recibimos" in portal.newest_text()

The app runs on a fresh SQLite database in ``tmp_path``, migrated, with the outbox
notifiers (mail as ``.eml``, texts as ``.json`` files), fast password hashing and no job
worker: jobs run when the test calls ``run_jobs``. Events are delivered in the process
before the request that emitted them answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import email.message
import email.policy
import json
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer
from tortoise import connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from taxportal.app import create_app
from taxportal.config import load_config
from taxportal.context import Core
from taxportal.db import apply_migrations
from taxportal.jobs.worker import Worker
from taxportal.models import ActivityEntry
from taxportal.runtime import build_core, database_config
from taxportal.services.accounts import portals
from taxportal.services.accounts.passwords import PasswordHasher
from taxportal.services.returns import client_list
from taxportal.services.returns import records as returns
from taxportal.services.returns.fields import ReturnFields
from taxportal.web.keys import CORE

PASSWORD = "Tax-Season1!"  # noqa: S105  # a test taxpayer's; meets the password rules
PDF = b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 20 + b"%%EOF\n"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_CODE = re.compile(r"\b(\d{6})\b")


@contextlib.asynccontextmanager
async def portal_app(tmp_path: Path, *plugins: object, **env: str) -> AsyncIterator[PortalApp]:
    """Start an app with ``plugins`` registered on a migrated SQLite database in
    ``tmp_path``; ``env`` adds ``TAXPORTAL_*`` values (e.g. a plugin's settings)."""
    # tortoise caches SQL per connection name and the core remembers counts per process:
    # another test of this process may have used another database
    EXECUTOR_CACHE.clear()
    client_list._counts.clear()
    returns.forget_tax_years()
    values = {
        "TAXPORTAL_SERVER__DATA_DIR": str(tmp_path / "data"),
        "TAXPORTAL_SERVER__BASE_URL": "http://portal.test",
        "TAXPORTAL_FIRM__NAME": "Evans Tax Service",
        "TAXPORTAL_DATABASE__URL": f"sqlite://{tmp_path / 'db.sqlite3'}",
        "TAXPORTAL_JOBS__WORKER": "false",  # the test runs jobs when it says so
        **env,
    }
    config = load_config(path=None, env=values)
    passwords = PasswordHasher(fast_for_tests=True)
    await _migrated(database_config(build_core(config, plugins, passwords)))
    server = TestServer(create_app(config, extra_plugins=plugins, passwords=passwords))
    await server.start_server()
    portal = PortalApp(server)
    try:
        yield portal
    finally:
        for browser in portal.browsers:
            await browser.close()
        await server.close()


_templates: dict[str, Path] = {}  # model modules -> a migrated SQLite file of this process
_template_dir: tempfile.TemporaryDirectory[str] | None = None
_shared: Callable[[dict[str, Any]], Awaitable[bool]] | None = None


def share_templates(migrate: Callable[[dict[str, Any]], Awaitable[bool]] | None) -> None:
    """Let a test suite that keeps its own migrated copies migrate the apps' databases
    (``migrate(tortoise_config)`` returns False to decline); ``None`` stops it."""
    global _shared
    _shared = migrate


async def _migrated(tconfig: dict[str, Any]) -> None:
    """Migrating costs seconds and copying a migrated file milliseconds: the first app with
    a set of model modules migrates a template, the others start from a copy of it."""
    global _template_dir
    if _shared is not None and await _shared(tconfig):
        return
    key = json.dumps(tconfig["apps"], sort_keys=True)
    template = _templates.get(key)
    if template is None:
        if _template_dir is None:
            _template_dir = tempfile.TemporaryDirectory(prefix="taxportal-testing-")
        template = Path(_template_dir.name) / f"template-{len(_templates)}.sqlite3"
        await apply_migrations({**tconfig, "connections": {"default": f"sqlite://{template}"}})
        with contextlib.closing(sqlite3.connect(template)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file alone is the database
        _templates[key] = template
    target = Path(tconfig["connections"]["default"].removeprefix("sqlite://"))
    shutil.copy(template, target)
    target.chmod(0o600)  # the mode taxportal gives its database


class PortalApp:
    """The running app, its outbox, its jobs and browsers (each with its own cookies)."""

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.browsers: list[TestClient] = []
        self._invited = 0

    @property
    def core(self) -> Core:
        return self.server.app[CORE]  # type: ignore[index]

    @property
    def outbox(self) -> Path:
        return self.core.config.data_dir / "outbox"

    async def browser(self) -> TestClient:
        """A new browser on the app (cookies kept, redirects not followed by default)."""
        client = TestClient(self.server, cookie_jar=CookieJar(unsafe=True))
        await client.start_server()
        self.browsers.append(client)
        return client

    # taxpayers ---------------------------------------------------------------------

    async def invite_taxpayer(
        self, language: str = "en", *, email_address: str = "", phone: str = "(706) 555-0197"
    ) -> tuple[int, str]:
        """A return with a portal (``PortalCreated``) whose invitation went out by email:
        ``(portal id, the invitation link's path)``."""
        self._invited += 1
        n = self._invited
        fields = ReturnFields(
            tax_year=dt.date.today().year - 1,
            first_name="Sherry",
            last_name="Nunez",
            ssn=f"400-12-{3496 + n:04d}",
            primary_email=email_address or f"taxpayer{n}@example.com",
            mobile_phone=phone,
            language=language,
        )
        tax_return, _ = await returns.upsert(self.core, fields, "test")
        outcome = await portals.invite(self.core, tax_return.id, "email", "test")
        text = self.newest_email().get_body(("plain",)).get_content()  # type: ignore[union-attr]
        match = re.search(r"http://portal\.test(/invite/\S+)", text)
        assert match, "no invitation link in the email"
        return outcome.portal.id, match.group(1)

    async def signed_in_taxpayer(
        self, language: str = "en", *, notify_by: str = "email"
    ) -> TestClient:
        """A browser of a new taxpayer: invited, registered, past the security code (sent
        by text), with ``notify_by`` ("email" or "sms") chosen for notices."""
        _, link = await self.invite_taxpayer(language)
        n = self._invited
        browser = await self.browser()
        form = {
            "username": f"taxpayer{n}",
            "password": PASSWORD,
            "email": f"taxpayer{n}@example.com",
            "phone": "",
            "last_name": "nunez",
            "ssn_last4": f"{3496 + n:04d}",
        }
        await self._post(browser, link, link, form)
        await self._post(browser, "/portal/verify", "/portal/verify/send", {"channel": "sms"})
        code = _CODE.search(self.newest_text())
        assert code, "no security code in the text message"
        await self._post(browser, "/portal/verify", "/portal/verify/check", {"code": code[1]})
        page = "/portal/preparer-files"
        await self._post(browser, page, page + "/notify", {"channel": notify_by})
        return browser

    async def upload(self, browser: TestClient, name: str = "W-2.pdf", data: bytes = PDF) -> int:
        """Upload a file as the signed-in taxpayer, as the upload window does; its id."""
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/octet-stream",
            "X-File-Name": quote(name, safe=""),
            "X-CSRF-Token": await csrf_token(browser, "/portal/files"),
        }
        response = await browser.put("/portal/files/upload", data=data, headers=headers)
        assert response.status == 201, await response.text()
        return int((await response.json())["file"]["id"])

    async def _post(
        self, browser: TestClient, form_page: str, action: str, data: dict[str, str]
    ) -> None:
        data = {**data, "csrf_token": await csrf_token(browser, form_page)}
        response = await browser.post(action, data=data, allow_redirects=False)
        assert response.status == 303, f"{action}: {response.status} {await response.text()}"

    # outbox ------------------------------------------------------------------------

    def emails(self) -> list[email.message.EmailMessage]:
        """Every email sent, oldest first."""
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for path in sorted((self.outbox / "email").glob("*.eml"))
        ]

    def texts(self) -> list[dict[str, Any]]:
        """Every text message sent (``to``, ``text``, ...), oldest first."""
        return [json.loads(p.read_text()) for p in sorted((self.outbox / "sms").glob("*.json"))]

    def newest_email(self) -> email.message.EmailMessage:
        sent = self.emails()
        assert sent, "no email in the outbox"
        return sent[-1]

    def newest_text(self) -> str:
        sent = self.texts()
        assert sent, "no text message in the outbox"
        return str(sent[-1]["text"])

    # jobs, events, activity ----------------------------------------------------------

    async def run_jobs(self) -> int:
        """Run every job that is due now, as a server's worker would; how many ran."""
        return await Worker(self.core.jobs).run_due()

    async def activity(self, action: str) -> list[dict[str, Any]]:
        """The activity entries of ``action`` (actor, subject, detail), oldest first."""
        return (
            await ActivityEntry.filter(action=action)
            .order_by("id")
            .values("actor", "subject", "detail")
        )

    async def jobs(self, kind: str) -> list[dict[str, Any]]:
        """The jobs of ``kind`` (state, payload), oldest first."""
        rows = await connections.get("default").execute_query_dict(
            "SELECT state, payload FROM job WHERE kind = ? ORDER BY id", [kind]
        )
        return [{"state": r["state"], "payload": json.loads(r["payload"])} for r in rows]


async def eventually(condition: Callable[[], Awaitable[bool] | bool], timeout: float = 2.0) -> None:
    """Wait until ``condition()`` holds (an event heard by another task, a file written)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.01)


async def csrf_token(browser: TestClient, path: str) -> str:
    """The CSRF token of the form on ``path`` (the way a browser gets it)."""
    page = await (await browser.get(path)).text()
    match = _TOKEN.search(page)
    assert match, f"no form on {path}"
    return match.group(1)
