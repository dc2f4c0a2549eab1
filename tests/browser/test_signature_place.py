"""The Signed Document Manager's place for a signature, in a browser: on a joint return at
1,280 px the table does not scroll sideways; a preparer chooses a corner and a page with the
keyboard alone, Enter in the page number sends and removes nothing, OK sends."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Account, Client, PortalServer
from tests.browser.test_signing_flow import LEAN_PLUGINS
from tests.browser.test_taxpayer_journey import invite_by_email
from tests.browser.ui import horizontal_overflow
from tests.signing_pdf import documents

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

HERE = Path(__file__).resolve().parent
CLIENT = Client("Rosa", "Lugar", "400-12-3611", "rosa.lugar@example.com", "(706) 555-0311", "9 Elm")
SPOUSE = {"spouse_first_name": "Andrés", "spouse_last_name": "Lugar"}
LETTER = "2025 Engagement Letter and Privacy Notice for Rosa and Andrés Lugar.pdf"
OTHER = "Form 1040 Lugar.pdf"


def seed_joint(server: PortalServer) -> None:
    lean = {**server.env(), "TAXPORTAL_PLUGINS__ENABLED": LEAN_PLUGINS}
    script = HERE / "seed_returns.py"
    server._run([sys.executable, str(script)], lean, json.dumps([{**CLIENT.fields(), **SPOUSE}]))


async def test_a_corner_and_page_chosen_with_the_keyboard_at_1280_px(
    desktop: Page, portal_server: PortalServer, preparer: Account, tmp_path: Path
) -> None:
    page = desktop
    seed_joint(portal_server)
    await invite_by_email(page, portal_server, CLIENT, preparer)  # the portal exists
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"/staff/?q={CLIENT.last_name}")
    listed = page.get_by_role("row").filter(has_text=CLIENT.primary_email)
    await listed.get_by_role("link", name="Signed Documents").click()
    await expect(page.get_by_text("joint with Andrés Lugar")).to_be_visible()
    for name, pages in ((LETTER, 3), (OTHER, 2)):
        (tmp_path / name).write_bytes(documents.plain_document(pages))
    await page.get_by_label("PDF files (up to 50 MB each)").set_input_files(
        [tmp_path / LETTER, tmp_path / OTHER]
    )
    await page.get_by_role("button", name="Add", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("2 PDFs added")

    folder = Path(os.environ.get("TAXPORTAL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=folder / "signature-place-1280.png", full_page=True)
    sideways = await page.evaluate(
        "() => { const w = document.querySelector('.table-wrap');"
        " return w.scrollWidth - w.clientWidth; }"
    )
    assert sideways == 0, f"the documents table scrolls {sideways} px sideways at 1280 px"
    assert await horizontal_overflow(page) == 0

    # the keyboard alone: Send, Taxpayer signs, then the place and its page
    await page.get_by_role("checkbox", name=f"Send {LETTER}").focus()
    await page.keyboard.press("Space")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("checkbox", name=f"Taxpayer signs {LETTER}")).to_be_focused()
    await page.keyboard.press("Space")
    await page.keyboard.press("Tab")
    place = page.get_by_role("combobox", name=f"Where the taxpayer signs {LETTER}")
    await expect(place).to_be_focused()
    await expect(place).to_have_value("")  # Automatic until the preparer chooses
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await expect(place).to_have_value("bottom_right")
    await page.keyboard.press("Tab")
    number = page.get_by_role("spinbutton", name=f"Page of the taxpayer's signature on {LETTER}")
    await expect(number).to_be_focused()
    await expect(number).to_have_value("3")  # the last page by default
    await page.keyboard.press("ArrowDown")
    await expect(number).to_have_value("2")
    await page.keyboard.press("Enter")  # submits nothing: no document is removed or sent
    await expect(page.get_by_role("checkbox", name=f"Send {OTHER}")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("2 PDFs added")
    ok = page.get_by_role("button", name="OK", exact=True)
    await ok.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("1 document sent")
    row = page.get_by_role("row").filter(has_text=LETTER)
    await expect(row).to_contain_text("Taxpayer: waiting for signature (chosen place, page 2)")
    assert await horizontal_overflow(page) == 0
