"""Screenshots of the console at desktop and phone width, for a person to look at.

They go to $TAXPORTAL_SCREENSHOTS when set (e.g. /tmp/shots), else to the test's tmp dir.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import CANCELLED, Account, PortalServer
from tests.browser.ui import horizontal_overflow, pass_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_screenshots(
    any_page: Page, portal_server: PortalServer, preparer: Account, tmp_path: Path
) -> None:
    page = any_page
    viewport = "phone" if page.viewport_size["width"] < 400 else "desktop"
    folder = Path(os.environ.get("TAXPORTAL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    async def shot(name: str) -> None:
        assert await horizontal_overflow(page) == 0, f"{name} scrolls sideways at {viewport}"
        await page.screenshot(path=folder / f"{name}-{viewport}.png", full_page=True)

    await page.goto("/staff/login")
    await shot("sign-in")
    await page.get_by_label("Email").fill(preparer.email)
    await page.get_by_label("Password").fill(preparer.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    await shot("second-factor-set-up")
    await pass_second_factor(page, preparer)
    await expect(page.get_by_role("heading", name="File Viewer")).to_be_visible()
    await shot("file-viewer")
    await page.goto("/staff/portals")
    await shot("manage-portals")
    await page.goto(f"/staff/portals/{portal_server.return_ids[CANCELLED]}/send")
    await expect(page.get_by_role("dialog")).to_be_visible()
    await shot("send-link-dialog")
    await page.goto(f"/staff/returns/{portal_server.return_ids[CANCELLED]}/edit")
    await expect(page.get_by_label("Spouse prior-year AGI")).to_be_visible()
    await shot("return-form")
