"""My Files in a real browser: the taxpayer drags two files into "Drop files here to upload",
picks a third through the file picker, watches each upload's progress bar, finds all three in
the list after a reload and removes one; then the same page on a phone, 360 px wide, and
on that phone with JavaScript turned off (the plain form, the confirmation page).

Uploads run under Chromium's network throttling so the progress bars are really seen moving.
"""

from __future__ import annotations

import json
import re
import sys
from functools import partial
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from taxportal.web.uploads.my_files_view import human_size
from tests.browser.harness import Account, Client, PortalServer
from tests.browser.test_taxpayer_journey import (
    WORDS,
    invite_by_email,
    masked_phone,
    pass_code,
    register,
    shot,
    taxpayer_sign_in,
)
from tests.browser.ui import focused, horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# Seeded by this test (not in harness.CLIENTS): the return of the taxpayer who uploads.
UPLOADER = Client(
    "Ulises", "Subidas", "400-12-3471", "ulises@example.com", "(706) 555-0171", "7 Oak St"
)
USERNAME = "ulises.s"
PDF_BYTES = 240_000  # big enough to take a while under the throttle below
# Two files built inside the page, handed over in one DataTransfer as a real drop carries them.
DROPPED = """() => {
  const pdf = new Uint8Array(PDF_BYTES);
  pdf.set(new TextEncoder().encode("%PDF-1.7\\n"));
  const jpeg = new Uint8Array(180000);
  jpeg.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
  jpeg[jpeg.length - 1] = 7;  // not the PDF's bytes: no duplicate
  const data = new DataTransfer();
  data.items.add(new File([pdf], "W-2 Acme.pdf", { type: "application/pdf" }));
  data.items.add(new File([jpeg], "1099-INT photo.jpg", { type: "image/jpeg" }));
  return data;
}""".replace("PDF_BYTES", str(PDF_BYTES))
PICKED = "Recibo año 2025 ✓ $& $'.pdf"  # "$&" and "$'" mean something to String.replace


def seed(server: PortalServer, client: Client) -> None:
    """The return, written the way harness.start() seeds its clients."""
    script = Path(__file__).with_name("seed_returns.py")
    server._run([sys.executable, str(script)], None, json.dumps([client.fields()]))


async def slow_uploads(page: Page) -> None:
    """About 150 KB/s up: a few seconds per file, so each bar is seen before it is done."""
    session = await page.context.new_cdp_session(page)
    await session.send("Network.enable")
    await session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": -1,
            "uploadThroughput": 150 * 1024,
        },
    )


async def signed_up(page: Page, server: PortalServer, link: str) -> None:
    words = WORDS["en"]
    await page.goto(link)
    await register(page, UPLOADER, words, USERNAME)
    await page.get_by_role("button", name=words["register_button"], exact=True).click()
    send_text = words["send_text"].format(masked_phone(UPLOADER))
    await page.get_by_role("button", name=send_text).click()
    await expect(page.get_by_role("status")).to_have_text(words["sent"])
    await page.get_by_label(words["code"], exact=True).fill(server.code_texted_to(UPLOADER.e164))
    await page.get_by_role("button", name=words["verify_button"], exact=True).click()
    await expect(page).to_have_url(re.compile(r"/portal/$"))


async def test_drag_two_pick_one_reload_and_remove(
    browser,  # type: ignore[no-untyped-def]
    desktop: Page,
    open_page,  # type: ignore[no-untyped-def]
    portal_server: PortalServer,
    preparer: Account,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    seed(portal_server, UPLOADER)
    _, link = await invite_by_email(desktop, portal_server, UPLOADER, preparer)
    page = await open_page("desktop")
    await signed_up(page, portal_server, link)

    await page.get_by_role("navigation").get_by_role("link", name="My Files").click()
    await expect(page.get_by_role("heading", name="My Files", level=1)).to_be_visible()
    await expect(page.get_by_text("You have not uploaded any files yet.")).to_be_visible()
    await expect(page.locator("#upload-form")).to_be_hidden()  # the no-JavaScript form

    # By keyboard: the window takes the focus, Escape closes it and gives the focus back.
    opener = page.get_by_role("button", name="Upload Documents")
    await opener.focus()
    await page.keyboard.press("Enter")
    window = page.get_by_role("dialog", name="Upload Documents")
    await expect(window).to_be_visible()
    assert await focused(page) == "Choose files"
    ring = await page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none", ring
    await page.keyboard.press("Escape")
    await expect(window).to_be_hidden()
    await expect(opener).to_be_focused()

    await slow_uploads(page)
    await opener.click()
    zone = window.locator("#drop-zone")
    await expect(zone).to_contain_text("Drop files here to upload")
    dropped = await page.evaluate_handle(DROPPED)
    await zone.dispatch_event("dragenter", {"dataTransfer": dropped})
    await zone.dispatch_event("dragover", {"dataTransfer": dropped})
    await expect(zone).to_have_class(re.compile(r"\bover\b"))
    await zone.dispatch_event("drop", {"dataTransfer": dropped})
    await expect(zone).not_to_have_class(re.compile(r"\bover\b"))

    picked = tmp_path / PICKED
    picked.write_bytes(b"%PDF-1.7\n" + b"picked " * 30_000 + b"\n%%EOF\n")
    async with page.expect_file_chooser() as chooser:
        await window.get_by_role("button", name="Choose files").click()
    await (await chooser.value).set_files(picked)

    uploads = window.get_by_role("list", name="Files in this upload").get_by_role("listitem")
    await expect(uploads).to_have_count(3)
    for name in ("W-2 Acme.pdf", "1099-INT photo.jpg", PICKED):
        bar = window.get_by_role("progressbar", name=f"Uploading {name}")
        await expect(bar).to_be_visible()  # each file has its own, labelled
    moving = window.locator("progress")
    await page.wait_for_function(
        "() => [...document.querySelectorAll('#upload-list progress')]"
        ".some(bar => bar.value > 0 && bar.value < 100)"
    )
    await page.screenshot(path=screenshots / "my-files-uploading-desktop.png")
    await expect(moving).to_have_count(0, timeout=60_000)  # all three done
    sizes = {
        "W-2 Acme.pdf": human_size(PDF_BYTES, "en"),
        "1099-INT photo.jpg": human_size(180_000, "en"),
        PICKED: human_size(picked.stat().st_size, "en"),
    }
    for name, size in sizes.items():
        item = uploads.filter(has_text=name)
        await expect(item).to_contain_text(size)
        await expect(item.get_by_role("button", name=f"Remove {name}")).to_be_visible()
    await expect(window.get_by_role("status")).to_contain_text("Uploaded.")
    await page.screenshot(path=screenshots / "my-files-uploaded-desktop.png")

    # Remove in the window asks first, in the same dialog as the list; keeping it changes nothing.
    await uploads.filter(has_text=PICKED).get_by_role("button", name=f"Remove {PICKED}").click()
    confirm = page.get_by_role("dialog", name="Remove this file?")
    await expect(confirm).to_contain_text(PICKED)
    await expect(confirm.get_by_role("button", name="Keep this file")).to_be_focused()
    await confirm.get_by_role("button", name="Keep this file").click()
    await expect(confirm).to_be_hidden()
    await expect(window).to_be_visible()
    await expect(uploads.filter(has_text=PICKED).get_by_role("button")).to_be_visible()

    # Closing the window brings the list behind it up to date; a reload shows the same.
    await window.get_by_role("button", name="Close").click()
    files = page.get_by_role("list", name="Your files").get_by_role("listitem")
    await expect(files).to_have_count(3)
    await page.reload()
    await expect(files).to_have_count(3)
    for name, size in sizes.items():
        await expect(files.filter(has_text=name)).to_contain_text(size)
        link = files.filter(has_text=name).get_by_role("link", name=name, exact=True)
        await expect(link).to_have_attribute("href", re.compile(r"^/portal/files/\d+$"))

    # Remove one: a confirmation first, which starts on the safe choice.
    photo = files.filter(has_text="1099-INT photo.jpg")
    await photo.get_by_role("link", name="Remove 1099-INT photo.jpg").click()
    confirm = page.get_by_role("dialog", name="Remove this file?")
    await expect(confirm).to_contain_text("1099-INT photo.jpg")
    await expect(confirm.get_by_role("button", name="Keep this file")).to_be_focused()
    await confirm.get_by_role("button", name="Remove", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Removed.")
    await expect(files).to_have_count(2)
    await expect(files.filter(has_text="1099-INT photo.jpg")).to_have_count(0)
    await page.goto("/portal/")
    await expect(page.get_by_role("region", name="My Files")).to_contain_text("2 Files Uploaded")

    # On a phone (another browser: a security code again), 360 px wide.
    phone = await open_page("phone")
    await phone.goto("/portal/login")
    words = WORDS["en"]
    await taxpayer_sign_in(phone, USERNAME, words)
    await phone.get_by_role("button", name=words["send_text"].format(masked_phone(UPLOADER))).tap()
    await pass_code(phone, partial(portal_server.code_texted_to, UPLOADER.e164), words)
    await expect(phone.get_by_role("region", name="My Files")).to_contain_text("2 Files Uploaded")
    await phone.get_by_role("link", name="View Files").first.tap()
    await expect(phone).to_have_url(re.compile(r"/portal/files$"))
    await expect(
        phone.get_by_role("list", name="Your files").get_by_role("listitem")
    ).to_have_count(2)
    await shot(phone, screenshots, "my-files")
    await phone.get_by_role("button", name="Upload Documents").tap()
    window = phone.get_by_role("dialog", name="Upload Documents")
    await expect(window.get_by_role("button", name="Take a photo")).to_be_visible()
    camera = phone.locator("#take-photo")
    await expect(camera).to_have_attribute("capture", "environment")
    await expect(camera).to_have_attribute("accept", "image/*")
    box = await window.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    assert await horizontal_overflow(phone) == 0
    await phone.screenshot(path=screenshots / "taxpayer-my-files-window-phone.png")
    await window.get_by_role("button", name="Close").tap()
    await expect(window).to_be_hidden()

    # The same phone with JavaScript turned off: the plain form and the confirmation page.
    state = await phone.context.storage_state()
    context = await browser.new_context(
        base_url=portal_server.base_url, java_script_enabled=False, storage_state=state
    )
    try:
        plain = await context.new_page()
        await plain.goto("/portal/files")
        await expect(plain.get_by_role("button", name="Upload Documents")).to_be_hidden()
        scan = tmp_path / "W-2 <Acme> scan.jpg"
        scan.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 5000)
        form = plain.locator("#upload-form")
        await form.get_by_label("Choose files").set_input_files(scan)
        await form.get_by_role("button", name="Upload", exact=True).click()
        await expect(plain).to_have_url(re.compile(r"/portal/files$"))
        await expect(plain.get_by_role("status")).to_contain_text("W-2 <Acme> scan.jpg Uploaded.")
        files = plain.get_by_role("list", name="Your files").get_by_role("listitem")
        await expect(files).to_have_count(3)
        await files.filter(has_text="W-2 Acme.pdf").get_by_role("link", name="Remove").click()
        await expect(plain.get_by_role("heading", name="Remove this file?")).to_be_visible()
        await plain.get_by_role("button", name="Remove", exact=True).click()
        await expect(plain.get_by_role("status")).to_contain_text("W-2 Acme.pdf Removed.")
        await expect(files).to_have_count(2)
    finally:
        await context.close()
