"""Identity at signing in a real browser on a 360 px phone, by keyboard: the taxpayer asks
for the code, reads it from the outbox (as their email), answers the date of birth and last
year's AGI as people write them, and lands on the page they were going to."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Account, Client, PortalServer
from tests.browser.test_taxpayer_journey import WORDS, invite_by_email, masked_phone, register
from tests.browser.ui import horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SIGNER = Client("Sonia", "Firmas", "400-12-3492", "sonia@example.com", "(706) 555-0192", "9 Elm St")
FACTS = {"birth_date": "1975-03-14", "prior_year_agi": 52340}
NEXT = "/portal/files"


def seed(server: PortalServer) -> None:
    script = Path(__file__).with_name("seed_returns.py")
    server._run([sys.executable, str(script)], None, json.dumps([{**SIGNER.fields(), **FACTS}]))


async def signed_up(page: Page, server: PortalServer, link: str) -> None:
    words = WORDS["en"]
    await page.goto(link)
    await register(page, SIGNER, words, "sonia.f")
    await page.get_by_role("button", name=words["register_button"], exact=True).click()
    await page.get_by_role("button", name=words["send_text"].format(masked_phone(SIGNER))).click()
    await expect(page.get_by_role("status")).to_have_text(words["sent"])
    await page.get_by_label(words["code"], exact=True).fill(server.code_texted_to(SIGNER.e164))
    await page.get_by_role("button", name=words["verify_button"], exact=True).click()
    await expect(page).to_have_url(re.compile(r"/portal/$"))


async def test_code_and_facts_by_keyboard_on_a_phone_then_next(
    desktop: Page,
    open_page,  # type: ignore[no-untyped-def]
    portal_server: PortalServer,
    preparer: Account,
) -> None:
    seed(portal_server)
    _, link = await invite_by_email(desktop, portal_server, SIGNER, preparer)
    page = await open_page("phone")
    await signed_up(page, portal_server, link)

    await page.goto(f"/portal/signing/identity?role=taxpayer&next={NEXT}")
    await expect(page.get_by_role("heading", name="Confirm it is you", level=1)).to_be_visible()
    send = page.get_by_role("button", name="Send my security code")
    await send.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("We sent a security code to son")
    assert await horizontal_overflow(page) == 0, "the identity page scrolls sideways at 360 px"

    code = page.get_by_label("Security code we just sent")
    await expect(code).to_be_focused()  # autofocus: type at once
    await page.keyboard.type(portal_server.code_emailed_to(SIGNER.primary_email))
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Your date of birth (MM/DD/YYYY)")).to_be_focused()
    await page.keyboard.type("03/14/1975")
    await page.keyboard.press("Tab")
    await page.keyboard.type("$52,340")
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(re.escape(NEXT) + "$"))
