"""At 360 px the page never scrolls sideways; the sign-in form works from the keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import LONG_VALUES, PREPARER, Account, PortalServer
from tests.browser.ui import focused, fresh_code, horizontal_overflow, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_sign_in_page_fits_a_phone(phone: Page) -> None:
    await phone.goto("/staff/login")
    await expect(phone.get_by_role("button", name="Sign in")).to_be_visible()
    assert await horizontal_overflow(phone) == 0
    for label in ("Email", "Password"):
        box = await phone.get_by_label(label).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, (label, box)


async def test_manage_portals_fits_a_phone_and_its_table_scrolls_inside(
    phone: Page, portal_server: PortalServer, preparer: Account
) -> None:
    await sign_in(phone, preparer)
    await phone.goto("/staff/portals")
    await expect(phone.get_by_role("row").filter(has_text=LONG_VALUES.last_name)).to_have_count(1)
    assert await horizontal_overflow(phone) == 0
    wrap = phone.locator(".table-wrap")
    sizes = await wrap.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert sizes[0] > sizes[1], "the long row should make the table scroll inside .table-wrap"
    assert sizes[1] <= 360


async def test_file_viewer_turns_into_cards_that_fit_a_phone(
    phone: Page, portal_server: PortalServer, preparer: Account
) -> None:
    await sign_in(phone, preparer)
    await phone.goto("/staff/")
    row = phone.get_by_role("row").filter(has_text=LONG_VALUES.last_name)
    await expect(row).to_have_count(1)
    assert await horizontal_overflow(phone) == 0
    wrap = phone.locator(".table-wrap")
    sizes = await wrap.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert sizes[0] <= sizes[1], "the File Viewer's rows are cards: nothing scrolls sideways"
    box = await row.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    assert sizes[1] <= 360


async def test_send_link_dialog_fits_a_phone(
    phone: Page, portal_server: PortalServer, preparer: Account
) -> None:
    await sign_in(phone, preparer)
    await phone.goto(f"/staff/portals/{portal_server.return_ids[LONG_VALUES]}/send")
    dialog = phone.get_by_role("dialog")
    await expect(dialog.get_by_role("button", name="OK")).to_be_visible()
    assert await horizontal_overflow(phone) == 0
    box = await dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    for name in ("OK", "CANCEL"):
        control = dialog.get_by_role("button", name=name).or_(dialog.get_by_role("link", name=name))
        target = await control.bounding_box()
        assert target is not None and target["height"] >= 44, (name, target)  # touch size


async def test_sign_in_with_the_keyboard_only(any_page: Page, admin: Account) -> None:
    page = any_page
    await page.goto("/staff/login")
    email = page.get_by_label("Email")
    for _ in range(5):  # autofocus puts the caret in Email; otherwise Tab gets there
        if await email.evaluate("e => e === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(email).to_be_focused()
    await page.keyboard.type(admin.email)
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Password")).to_be_focused()
    await page.keyboard.type(admin.password)
    await page.keyboard.press("Enter")

    # The second factor: the code box has the focus; the key is read as the app would scan it.
    await expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    await expect(page.get_by_label("6-digit code")).to_be_focused()
    admin.totp_secret = "".join((await page.locator("#totp-secret").inner_text()).split())
    await page.keyboard.type(await fresh_code(admin))
    await page.keyboard.press("Enter")
    continue_link = page.get_by_role("link", name="Continue")
    await expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    for _ in range(20):
        if await continue_link.evaluate("e => e === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(continue_link).to_be_focused()
    await page.keyboard.press("Enter")

    await expect(page).to_have_url(re.compile(r"/staff/$"))
    await expect(page.get_by_role("heading", name="File Viewer")).to_be_visible()
    await expect(page.get_by_text(admin.email)).to_be_visible()


async def test_wrong_password_is_announced_and_the_email_is_kept(phone: Page) -> None:
    await phone.goto("/staff/login")
    await phone.get_by_label("Email").fill(PREPARER.email)
    await phone.get_by_label("Password").fill("not the password at all")
    await phone.keyboard.press("Enter")
    await expect(phone.get_by_role("alert")).to_have_text("The email or password is not right.")
    await expect(phone.get_by_label("Email")).to_have_value(PREPARER.email)
    assert await horizontal_overflow(phone) == 0


async def test_skip_link_is_first_and_jumps_to_the_content(
    desktop: Page, preparer: Account
) -> None:
    await sign_in(desktop, preparer)
    await desktop.goto("/staff/portals")
    await desktop.keyboard.press("Tab")
    skip = desktop.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()
    await desktop.keyboard.press("Enter")
    await expect(desktop).to_have_url(re.compile(r"#main$"))
    await desktop.keyboard.press("Tab")  # the next stop is in the content, past the menu
    assert await focused(desktop) == "q", await focused(desktop)
