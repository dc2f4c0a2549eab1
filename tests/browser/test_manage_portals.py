"""Manage Portals in a real browser: create a portal, cancel, and the client who cannot have one."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import (
    BY_KEYBOARD,
    CANCELLED,
    CREATE_BY_EMAIL,
    NO_CONTACT,
    Account,
    PortalServer,
)
from tests.browser.ui import client_row, focused, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_preparer_creates_a_portal_by_email_and_the_link_opens(
    desktop: Page, portal_server: PortalServer, preparer: Account
) -> None:
    page, client = desktop, CREATE_BY_EMAIL
    await sign_in(page, preparer)
    await page.get_by_role("link", name="Manage Portals").click()
    await expect(page.get_by_role("heading", name="Manage Portals")).to_be_visible()
    row = client_row(page, client)
    await expect(row).to_contain_text("Not created")

    await row.get_by_role("link", name="create", exact=True).click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    choices = dialog.get_by_role("group", name="Send link to customer's:").get_by_role("radio")
    await expect(choices).to_have_count(2)
    # The client's own phone and email, as stored (E.164 shown nationally; email lower-cased).
    await expect(choices.nth(0)).to_have_accessible_name("Phone: (609) 306-2122")
    await expect(choices.nth(1)).to_have_accessible_name("Email: angela@email.com")

    await dialog.get_by_role("radio", name="Email: angela@email.com").check()
    await dialog.get_by_role("button", name="OK").click()

    await expect(page.get_by_role("status")).to_have_text("Portal created")
    row = client_row(page, client)
    await expect(row.get_by_role("link", name="Resend Portal Link")).to_be_visible()
    await expect(row.get_by_role("link", name="create", exact=True)).to_have_count(0)
    await expect(row).to_contain_text("email sent")

    [message] = portal_server.emails_to("angela@email.com")
    link = portal_server.invitation_link(message.get_body(("plain",)).get_content())
    assert link == portal_server.invitation_link(message.get_body(("html",)).get_content())

    await page.goto(link)
    await expect(page.get_by_role("heading", name="Register Your Account")).to_be_visible()
    assert portal_server.texts_to("+16093062122") == []


async def test_cancel_returns_to_the_list_and_creates_nothing(
    desktop: Page, portal_server: PortalServer, preparer: Account
) -> None:
    page, client = desktop, CANCELLED
    await sign_in(page, preparer)
    await page.goto("/staff/portals")
    await client_row(page, client).get_by_role("link", name="create", exact=True).click()
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_role("radio", name="Phone: (706) 555-0102")).to_be_visible()
    await dialog.get_by_role("radio", name="Phone: (706) 555-0102").check()

    await dialog.get_by_role("link", name="CANCEL").click()

    await expect(page).to_have_url(re.compile(r"/staff/portals$"))
    await expect(page.get_by_role("status")).to_have_count(0)
    row = client_row(page, client)
    await expect(row).to_contain_text("Not created")
    await expect(row.get_by_role("link", name="create", exact=True)).to_be_visible()
    assert portal_server.emails_to("bruno@example.com") == []
    assert portal_server.texts_to("+17065550102") == []


async def test_client_without_phone_or_email_is_told_why_no_portal(
    desktop: Page, portal_server: PortalServer, preparer: Account
) -> None:
    page, client = desktop, NO_CONTACT
    await sign_in(page, preparer)
    await page.goto("/staff/portals")
    row = client_row(page, client)
    await expect(row).to_contain_text("No portal yet: the return has no mobile phone, email")
    await expect(row.get_by_role("link", name="create", exact=True)).to_have_count(0)

    # The dialog, reached by its address, explains too and offers no way to send.
    await page.goto(f"/staff/portals/{portal_server.return_ids[client]}/send")
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text(
        "No portal can be made yet: the return has no mobile phone, email"
    )
    await expect(dialog.get_by_role("radio")).to_have_count(0)
    await expect(dialog.get_by_role("button", name="OK")).to_have_count(0)
    await dialog.get_by_role("link", name="Edit the return").click()
    await expect(page.get_by_role("heading", name="Edit return")).to_be_visible()


async def test_portal_by_text_message_with_the_keyboard_only(
    desktop: Page, portal_server: PortalServer, preparer: Account
) -> None:
    page, client = desktop, BY_KEYBOARD
    await sign_in(page, preparer)
    await page.goto("/staff/portals")
    create = client_row(page, client).get_by_role("link", name="create", exact=True)
    for _ in range(60):
        if await create.evaluate("e => e === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    else:
        raise AssertionError("Tab never reached the client's create button")
    await page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    email_choice = dialog.get_by_role("radio", name="Email: dmitri@example.com")
    for _ in range(20):  # past the console's menu, whose links plugins add to (Messages)
        if await email_choice.evaluate("e => e === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    else:
        raise AssertionError(f"Tab never reached the channel choice (at {await focused(page)})")
    await page.keyboard.press("ArrowUp")  # arrows move within a radio group
    await expect(dialog.get_by_role("radio", name="Phone: (618) 555-0104")).to_be_checked()
    await page.keyboard.press("Tab")
    await expect(dialog.get_by_role("button", name="OK")).to_be_focused()
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("status")).to_have_text("Portal created")
    await expect(client_row(page, client)).to_contain_text("text sent")
    [text] = portal_server.texts_to("+16185550104")
    assert "/invite/" in text["text"]
    assert portal_server.emails_to("dmitri@example.com") == []
