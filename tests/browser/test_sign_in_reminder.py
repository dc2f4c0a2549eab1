"""Manage Portals in a real browser, once the client has registered: the button and the
dialog say "Send sign-in reminder", and the reminder carries the sign-in page and the user
name, in the client's language; the old invitation no longer offers to register."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Account, Client, PortalServer
from tests.browser.test_my_files import seed
from tests.browser.test_taxpayer_journey import WORDS, invite_by_email, register
from tests.browser.ui import client_row

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# Seeded by this test (not in harness.CLIENTS): a Spanish-speaking client who registers.
REGISTERED = Client(
    "Rita",
    "Recuerdo",
    "400-12-3472",
    "rita@example.com",
    "(706) 555-0172",
    "8 Oak St",
    language="es",
)
USERNAME = "rita.r"


async def test_a_registered_client_gets_a_sign_in_reminder_and_the_dialog_says_so(
    desktop: Page, phone: Page, portal_server: PortalServer, preparer: Account
) -> None:
    seed(portal_server, REGISTERED)
    _, link = await invite_by_email(desktop, portal_server, REGISTERED, preparer)
    words = WORDS["es"]
    await phone.goto(link)
    await register(phone, REGISTERED, words, USERNAME)
    await phone.get_by_role("button", name=words["register_button"], exact=True).tap()
    await expect(phone.get_by_role("heading", name=words["verify"])).to_be_visible()

    await desktop.goto("/staff/portals")
    row = client_row(desktop, REGISTERED)
    await expect(row.get_by_role("link", name="Resend Portal Link")).to_have_count(0)
    await row.get_by_role("link", name="Send sign-in reminder").click()
    dialog = desktop.get_by_role("dialog", name="Send sign-in reminder: Rita Recuerdo")
    await expect(dialog).to_contain_text("No new invitation is made")
    choices = dialog.get_by_role("group", name="Send sign-in reminder to customer's:")
    await choices.get_by_role("radio", name="Phone: (706) 555-0172").check()
    await dialog.get_by_role("button", name="OK").click()
    await expect(desktop.get_by_role("status")).to_have_text(
        "Sign-in reminder sent (sign-in link and user name)"
    )

    [text] = portal_server.texts_to(REGISTERED.e164)
    assert f"{portal_server.base_url}/portal/login" in text["text"], text
    assert USERNAME in text["text"] and "usuario" in text["text"] and "/invite/" not in text["text"]
    await phone.goto(link)  # the invitation: used, so sign in or recover the user name
    await expect(phone.get_by_role("link", name="¿Olvidó su nombre de usuario?")).to_be_visible()
