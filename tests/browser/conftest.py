"""Browser tests: the real server in a subprocess, driven by Debian's Chromium via Playwright.

One server and one browser serve the whole session (each test works on its own seeded
client); every test gets a fresh browser context, so cookies never leak between tests.
Under pytest-xdist (`--dist loadgroup`, as scripts/test runs) they all go to one worker.
Tests here are skipped, with the reason, only when Chromium is not installed.

Set TAXPORTAL_SCREENSHOTS=/some/dir to keep the screenshots test_screenshots.py and
test_taxpayer_journey.py take.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.browser.harness import Account, PortalServer

CHROMIUM = Path(os.environ.get("TAXPORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
HERE = Path(__file__).resolve().parent
_NUMBERS = itertools.count(1)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's worker reads the group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    )
    for item in items:
        if item.path.is_relative_to(HERE):
            # one xdist worker runs them all: one server and one Chromium for the session
            item.add_marker(pytest.mark.xdist_group("browser"))
            if not CHROMIUM.exists():
                item.add_marker(skip)


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    """`taxportal serve` on a free port, with the seeded clients of harness.CLIENTS."""
    work_dir = tmp_path_factory.mktemp("portal")
    server = PortalServer(data_dir=work_dir / "data", work_dir=work_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _new_staff(server: PortalServer, role: str) -> Account:
    # Each authenticator code is accepted once per 30 s: one account per test never waits.
    account = Account(
        f"{role}-{next(_NUMBERS)}@evans-tax.example.com", f"{role} password for the browser", role
    )
    server.add_staff(account)
    return account


@pytest.fixture
def preparer(portal_server: PortalServer) -> Account:
    """A new preparer of this test's own; it sets up its authenticator at its first sign-in."""
    return _new_staff(portal_server, "preparer")


@pytest.fixture
def admin(portal_server: PortalServer) -> Account:
    """A new admin of this test's own; it sets up its authenticator at its first sign-in."""
    return _new_staff(portal_server, "admin")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


VIEWPORTS = {
    "desktop": {"viewport": DESKTOP},
    # A phone: 360 CSS px wide, touch, and the mobile rules for <meta name="viewport">.
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
}


async def _open(browser, server: PortalServer, kind: str, **options):  # type: ignore[no-untyped-def]
    """A fresh context (no cookies, unless ``storage_state`` gives some) and page; yields the
    page, then checks its console."""
    context = await browser.new_context(base_url=server.base_url, **VIEWPORTS[kind], **options)
    context.set_default_timeout(10_000)
    page = await context.new_page()
    problems: list[str] = []
    # A CSP refusal (an inline script or style slipped in), a script error, or a stylesheet,
    # script or image the server cannot serve fails the test. Pages that answer 4xx on
    # purpose (a wrong password) are documents; Chromium's own favicon probe is not ours.
    page.on("console", lambda m: _console_problem(m, problems))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("response", lambda r: _response_problem(r, problems))
    try:
        yield page
    finally:
        await context.close()
    assert not problems, f"browser problems on the {kind} page: {problems}"


def _console_problem(message, problems: list[str]) -> None:  # type: ignore[no-untyped-def]
    # "Failed to load resource" repeats a response that _response_problem judges.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(f"console: {message.text}")


def _response_problem(response, problems: list[str]) -> None:  # type: ignore[no-untyped-def]
    request = response.request
    if response.status >= 400 and request.resource_type != "document":
        if not request.url.endswith("/favicon.ico"):
            problems.append(f"{response.status} for {request.resource_type} {request.url}")


@pytest_asyncio.fixture(loop_scope="session")
async def desktop(browser, portal_server: PortalServer):  # type: ignore[no-untyped-def]
    """A desktop-sized page (1280x800) on the server; signed out."""
    async for page in _open(browser, portal_server, "desktop"):
        yield page


@pytest_asyncio.fixture(loop_scope="session")
async def phone(browser, portal_server: PortalServer):  # type: ignore[no-untyped-def]
    """A phone-sized page (360x740, touch, mobile viewport rules) on the server; signed out."""
    async for page in _open(browser, portal_server, "phone"):
        yield page


@pytest_asyncio.fixture(loop_scope="session", params=list(VIEWPORTS))
async def any_page(request: pytest.FixtureRequest, browser, portal_server: PortalServer):  # type: ignore[no-untyped-def]
    """The test runs twice: on a desktop page and on a phone page."""
    async for page in _open(browser, portal_server, request.param):
        yield page


@pytest_asyncio.fixture(loop_scope="session")
async def open_page(browser, portal_server: PortalServer):  # type: ignore[no-untyped-def]
    """Opens more pages, each in a fresh context (another browser: no cookies), as
    `await open_page("phone")`; each is closed and its console checked at the end. Playwright's
    context options go along: `open_page("desktop", storage_state=saved)` is signed in again."""
    async with contextlib.AsyncExitStack() as stack:

        async def open_(kind: str = "phone", **options):  # type: ignore[no-untyped-def]
            opener = contextlib.asynccontextmanager(_open)(browser, portal_server, kind, **options)
            return await stack.enter_async_context(opener)

        yield open_


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where to keep screenshots: $TAXPORTAL_SCREENSHOTS when set, else the test's tmp dir."""
    folder = Path(os.environ.get("TAXPORTAL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
