"""What a person does in the console, as Playwright steps shared by the browser tests."""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import quote

from playwright.async_api import Locator, Page, expect

from tests.browser.harness import Account, Client


async def sign_in(page: Page, account: Account) -> None:
    """Password, then the second factor: set up from the key on the page the first time."""
    await page.goto("/staff/login")
    await page.get_by_label("Email").fill(account.email)
    await page.get_by_label("Password").fill(account.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/staff/2fa\?"))
    await pass_second_factor(page, account)
    await expect(page).to_have_url(re.compile(r"/staff/$"))


async def pass_second_factor(page: Page, account: Account) -> None:
    set_up = page.get_by_role("heading", name="Set up your second factor")
    enter = page.get_by_role("heading", name="Enter your code")
    await expect(set_up.or_(enter)).to_be_visible()
    if await set_up.is_visible():
        account.totp_secret = "".join((await key_on_page(page)).split())
        account.last_step = 0
        await page.get_by_label("6-digit code").fill(await fresh_code(account))
        await page.get_by_role("button", name="Turn on and continue").click()
        await expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
        await page.get_by_role("link", name="Continue").click()
    else:
        await page.get_by_label("6-digit code").fill(await fresh_code(account))
        await page.get_by_role("button", name="Verify").click()


async def key_on_page(page: Page) -> str:
    """The authenticator key the set-up page shows for typing in by hand."""
    return await page.locator("#totp-secret").inner_text()


async def fresh_code(account: Account) -> str:
    """The code an authenticator app shows, for a step this account has not used yet."""
    while (step := account.code_step(time.time())) is None:
        await asyncio.sleep(0.5)
    return account.code(step)


def client_row(page: Page, client: Client) -> Locator:
    return page.get_by_role("row").filter(has_text=client.name)


async def create_portal(page: Page, client: Client, channel: str) -> None:
    """Manage Portals: create the client's portal; the link goes by "Email" or "Phone"."""
    # found by name: the shared server's first page of 50 need not hold this test's client
    await page.goto(f"/staff/portals?q={quote(client.last_name)}")
    await client_row(page, client).get_by_role("link", name="create", exact=True).click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("radio", name=re.compile(f"^{channel}: ")).check()
    await dialog.get_by_role("button", name="OK").click()
    await expect(page.get_by_role("status")).to_have_text("Portal created")


async def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page body is wider than the viewport (0: no sideways scroll)."""
    return int(
        await page.evaluate(
            "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
        )
    )


async def focused(page: Page) -> str:
    """A short description of the element that has keyboard focus."""
    return str(
        await page.evaluate(
            """() => { const e = document.activeElement;
                   return e ? (e.id || e.getAttribute('name') || e.textContent.trim()) : ''; }"""
        )
    )
