"""What a person does in the console, as Playwright steps shared by the browser tests."""

from __future__ import annotations

import re

from playwright.async_api import Locator, Page, expect

from tests.browser.harness import Account, Client


async def sign_in(page: Page, account: Account) -> None:
    await page.goto("/staff/login")
    await page.get_by_label("Email").fill(account.email)
    await page.get_by_label("Password").fill(account.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/staff/$"))


def client_row(page: Page, client: Client) -> Locator:
    return page.get_by_role("row").filter(has_text=client.name)


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
