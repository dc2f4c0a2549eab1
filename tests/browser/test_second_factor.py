"""The staff second factor in a real browser: set up from the QR page, codes, recovery, reset."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Account
from tests.browser.ui import fresh_code, key_on_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def password_step(page: Page, account: Account) -> None:
    await page.goto("/staff/login")
    await page.get_by_label("Email").fill(account.email)
    await page.get_by_label("Password").fill(account.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/staff/2fa\?"))


async def sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/staff/login$"))


async def test_set_up_from_the_qr_page_then_a_code_then_a_recovery_code(
    desktop: Page, preparer: Account
) -> None:
    page = desktop
    await password_step(page, preparer)
    qr = page.get_by_role("img", name=f"QR code that adds {preparer.email} at Evans Tax Service")
    await expect(qr).to_be_visible()
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the SVG decodes
    key = await key_on_page(page)
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", key), key

    await page.goto("/staff/portals")  # client data waits for the second factor
    await expect(page).to_have_url(re.compile(r"/staff/2fa\?next=/staff/portals$"))
    await expect(page.get_by_role("heading", name="Manage Portals")).to_have_count(0)

    preparer.totp_secret = "".join(key.split())
    now = int(time.time()) // 30
    valid = {pyotp.TOTP(preparer.totp_secret).generate_otp(s) for s in range(now - 1, now + 3)}
    await page.get_by_label("6-digit code").fill(
        next(c for c in ("123456", "654321") if c not in valid)
    )
    await page.get_by_role("button", name="Turn on and continue").click()
    await expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    await page.get_by_label("6-digit code").fill(await fresh_code(preparer))
    await page.get_by_role("button", name="Turn on and continue").click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    await expect(codes).to_have_count(10)
    recovery_code = await codes.first.inner_text()
    await page.get_by_role("link", name="Continue").click()
    await expect(page.get_by_role("heading", name="Manage Portals")).to_be_visible()

    await sign_out(page)
    await password_step(page, preparer)
    await expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    await page.get_by_label("6-digit code").fill(await fresh_code(preparer))
    await page.get_by_role("button", name="Verify").click()
    await expect(page.get_by_role("heading", name="File Viewer")).to_be_visible()

    await sign_out(page)
    await password_step(page, preparer)
    await page.get_by_role("link", name="Use a recovery code").click()
    await page.get_by_label("Recovery code").fill(recovery_code)
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="File Viewer")).to_be_visible()


async def test_admin_resets_a_preparers_second_factor(
    desktop: Page, admin: Account, preparer: Account
) -> None:
    page = desktop
    await sign_in(page, preparer)
    await sign_out(page)

    await sign_in(page, admin)
    await page.get_by_role("link", name="Staff").click()
    row = page.get_by_role("row").filter(has_text=preparer.email)
    await expect(row.get_by_role("cell").nth(3)).to_have_text("active")
    await row.get_by_role("button", name=f"Reset second factor of {preparer.email}").click()
    await expect(page.get_by_role("status")).to_contain_text("Second factor reset")
    await expect(row.get_by_role("cell").nth(3)).to_have_text("no second factor")
    await sign_out(page)

    await password_step(page, preparer)
    await expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    assert "".join((await key_on_page(page)).split()) != preparer.totp_secret
    # Not set up yet, the person can still leave: sign-out is there, readable on white.
    leave = page.get_by_role("button", name="Sign out")
    await expect(leave).to_have_css("color", "rgb(11, 83, 148)")
    await sign_out(page)
