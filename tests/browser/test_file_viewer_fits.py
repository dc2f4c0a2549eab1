"""The File Viewer fits a 1,280 px laptop screen and stays usable on a 768 px tablet: no
sideways scrolling, the SSN and the actions on screen, e-mail addresses whole."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Account, PortalServer
from tests.browser.ui import horizontal_overflow, pass_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
WIDTHS = {"laptop": 1280, "tablet": 768}
# every word (letters and digits) of the e-mail cells that a line break cuts in two
WORDS_CUT = """() => {
  const cut = [];
  for (const cell of document.querySelectorAll("table.clients td.emails")) {
    for (const node of cell.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE) continue;
      for (const word of node.textContent.matchAll(/[A-Za-z0-9_]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) cut.push(word[0]);
      }
    }
  }
  return cut;
}"""


async def test_the_file_viewer_fits_a_laptop_and_a_tablet(
    desktop: Page, portal_server: PortalServer, preparer: Account, tmp_path: Path
) -> None:
    page = desktop
    folder = Path(os.environ.get("TAXPORTAL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    await page.goto("/staff/login")
    await page.get_by_label("Email").fill(preparer.email)
    await page.get_by_label("Password").fill(preparer.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    await pass_second_factor(page, preparer)
    await expect(page.get_by_role("heading", name="File Viewer")).to_be_visible()

    for name, width in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto("/staff/")
        await page.screenshot(path=folder / f"file-viewer-{name}.png", full_page=True)
        sideways = await page.evaluate(
            "() => { const w = document.querySelector('.table-wrap');"
            " return w.scrollWidth - w.clientWidth; }"
        )
        assert sideways == 0, f"the client table scrolls {sideways} px sideways at {width} px"
        assert await horizontal_overflow(page) == 0
        rows = page.locator("table.clients tbody tr")
        assert await rows.count() >= 5
        for index in range(await rows.count()):  # on screen across (the page scrolls down)
            row = rows.nth(index)
            for cell in (
                row.get_by_text(re.compile(r"^\*\*\*-\*\*-\d{4}$")),
                row.get_by_role("link", name="Edit"),
            ):
                if await cell.count() == 0:
                    continue  # a return without an SSN shows none
                await expect(cell).to_be_visible()
                box = await cell.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert await page.evaluate(WORDS_CUT) == [], f"e-mail addresses break mid-word at {width}"
