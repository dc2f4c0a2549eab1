"""The e-sign consent on a 360 px phone, by keyboard: read it, tab to "I agree", press Enter,
land on the page the signing flow asked for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Account, Client, PortalServer
from tests.browser.test_my_files import seed
from tests.browser.test_taxpayer_journey import WORDS, invite_by_email, masked_phone, register
from tests.browser.ui import focused, horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# Seeded by this test (not in harness.CLIENTS): the taxpayer who gives consent.
CONSENTER = Client(
    "Consuelo", "Firma", "400-12-3473", "consuelo@example.com", "(706) 555-0173", "9 Ash St"
)


async def signed_up(page: Page, server: PortalServer, link: str) -> None:
    words = WORDS["en"]
    await page.goto(link)
    await register(page, CONSENTER, words, "consuelo.f")
    await page.get_by_role("button", name=words["register_button"], exact=True).click()
    await page.get_by_role(
        "button", name=words["send_text"].format(masked_phone(CONSENTER))
    ).click()
    await expect(page.get_by_role("status")).to_have_text(words["sent"])
    await page.get_by_label(words["code"], exact=True).fill(server.code_texted_to(CONSENTER.e164))
    await page.get_by_role("button", name=words["verify_button"], exact=True).click()
    await expect(page).to_have_url(re.compile(r"/portal/$"))


async def test_agree_with_the_keyboard_on_a_phone(
    desktop: Page,
    phone: Page,
    portal_server: PortalServer,
    preparer: Account,
    screenshots: Path,
) -> None:
    seed(portal_server, CONSENTER)
    _, link = await invite_by_email(desktop, portal_server, CONSENTER, preparer)
    await signed_up(phone, portal_server, link)

    await phone.goto("/portal/signing/consent?role=taxpayer&next=/portal/files")
    await expect(phone.get_by_role("heading", name="Before you sign", level=1)).to_be_visible()
    text = phone.locator(".consent-text")
    await expect(text).to_contain_text("Your right to paper")
    await expect(text).to_contain_text("How to withdraw your consent")
    assert await horizontal_overflow(phone) == 0  # no sideways scroll at 360 px
    await phone.screenshot(path=screenshots / "taxpayer-consent-phone.png", full_page=True)

    agree = phone.get_by_role("button", name="I agree", exact=True)
    await agree.scroll_into_view_if_needed()
    assert (await agree.bounding_box() or {}).get("height", 0) >= 44  # a finger's target
    for _ in range(40):  # Tab through the page, as a keyboard user does
        await phone.keyboard.press("Tab")
        if await focused(phone) == "decision" and await agree.evaluate(
            "e => e === document.activeElement"
        ):
            break
    await expect(agree).to_be_focused()
    await phone.keyboard.press("Enter")
    await expect(phone).to_have_url(re.compile(r"/portal/files$"))

    await phone.goto("/portal/preparer-files")
    await phone.get_by_role("link", name=re.compile("review or withdraw")).click()
    await expect(phone.get_by_role("status")).to_contain_text("You agreed to sign electronically")
