"""The firm's side of chat in a real browser: a taxpayer writes from a phone; the preparer
sees the File Viewer's unread marker, finds the conversation in Messages (the inbox,
searched by name), reads it beside the client's details and answers; the taxpayer sees
the answer and the preparer sees it marked seen; then, both pages open, each sees the
other's messages and "Seen" appear live."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Account, Client, PortalServer
from tests.browser.test_taxpayer_journey import WORDS, invite_by_email, masked_phone, register
from tests.browser.ui import client_row, horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

WRITER = Client(
    "Marta", "Charlas", "400-12-3493", "marta.charlas@example.com", "(706) 555-0193", "8 Elm St"
)
USERNAME = "marta.c"


def seed(server: PortalServer, client: Client) -> None:
    script = Path(__file__).with_name("seed_returns.py")
    server._run([sys.executable, str(script)], None, json.dumps([client.fields()]))


async def signed_up(page: Page, server: PortalServer, link: str) -> None:
    words = WORDS["en"]
    await page.goto(link)
    await register(page, WRITER, words, USERNAME)
    await page.get_by_role("button", name=words["register_button"], exact=True).click()
    send_text = words["send_text"].format(masked_phone(WRITER))
    await page.get_by_role("button", name=send_text).click()
    await expect(page.get_by_role("status")).to_have_text(words["sent"])
    await page.get_by_label(words["code"], exact=True).fill(server.code_texted_to(WRITER.e164))
    await page.get_by_role("button", name=words["verify_button"], exact=True).click()
    await expect(page).to_have_url(re.compile(r"/portal/$"))


async def test_preparer_finds_reads_and_answers_a_taxpayer(
    desktop: Page,
    open_page,  # type: ignore[no-untyped-def]
    portal_server: PortalServer,
    preparer: Account,
) -> None:
    seed(portal_server, WRITER)
    _, link = await invite_by_email(desktop, portal_server, WRITER, preparer)
    phone = await open_page("phone")
    await signed_up(phone, portal_server, link)

    await phone.get_by_role("link", name="Messages").click()
    await phone.get_by_label("Your message").fill("Do you need my 1098 too?")
    await phone.get_by_role("button", name="Send").click()
    await expect(phone.locator(".chat-body")).to_have_text(["Do you need my 1098 too?"])

    # the File Viewer marks the client with the unread message
    await desktop.goto("/staff/?q=charlas")
    row = client_row(desktop, WRITER)
    marker = row.get_by_role("link", name="1 unread message")
    await expect(marker).to_have_text("1 unread")

    # the inbox, searched by name
    await (
        desktop.get_by_role("navigation", name="Console")
        .get_by_role("link", name="Messages")
        .click()
    )
    await expect(desktop.get_by_role("heading", name="Messages", level=1)).to_be_visible()
    await desktop.get_by_label("Search clients by name, email or phone").fill("charlas")
    await desktop.get_by_role("button", name="Search").click()
    rows = desktop.locator("table.chat-inbox tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("1 unread")
    await rows.first.get_by_role("link", name="Marta Charlas").click()

    # the conversation beside the client's details
    await expect(desktop.get_by_role("heading", name="Messages with Marta Charlas")).to_be_visible()
    await expect(desktop.locator(".chat-body")).to_have_text(["Do you need my 1098 too?"])
    details = desktop.get_by_role("complementary", name="Client")
    await expect(details).to_contain_text("Verified")
    await expect(details.get_by_role("link", name="View Documents")).to_be_visible()
    assert await horizontal_overflow(desktop) == 0
    await desktop.get_by_label("Your message").fill("Yes, please upload it to My Files.")
    await desktop.get_by_role("button", name="Send").click()
    mine = desktop.locator(".chat-mine")
    await expect(mine).to_have_count(1)
    # the taxpayer's Messages page is open and live: the answer is read there at once
    await expect(mine.locator(".chat-state")).to_have_text("Seen")

    # read: the marker is gone from the File Viewer
    await desktop.goto("/staff/?q=charlas")
    await expect(
        client_row(desktop, WRITER).get_by_role("link", name="1 unread message")
    ).to_have_count(0)

    # the taxpayer sees the answer; the preparer then sees it seen
    await phone.reload()
    await expect(phone.locator(".chat-body")).to_have_text(
        ["Do you need my 1098 too?", "Yes, please upload it to My Files."]
    )
    await desktop.go_back()
    await desktop.reload()
    await expect(desktop.locator(".chat-mine .chat-state")).to_have_text("Seen")

    # both pages open: from now on each sees the other's messages appear live, no reload
    for page in (phone, desktop):
        await expect(page.locator("#chat")).to_have_attribute("data-live", "socket")
    await desktop.evaluate("window.sameDocument = true")
    box = phone.get_by_label("Your message")
    await box.fill("Uploaded it just now.")
    await box.press("Enter")  # Enter sends
    await expect(desktop.locator(".chat-body").last).to_have_text("Uploaded it just now.")
    # the preparer's open page read it: the phone turns "Sent" into "Seen"
    await expect(phone.locator(".chat-mine .chat-state").last).to_have_text("Seen")
    answer = desktop.get_by_label("Your message")
    await answer.fill("Got it, thank you.")
    await answer.press("Enter")
    await expect(phone.locator(".chat-body").last).to_have_text("Got it, thank you.")
    await expect(desktop.locator(".chat-mine .chat-state").last).to_have_text("Seen")
    assert await desktop.evaluate("window.sameDocument === true")  # never reloaded
