"""Draw once, keep on file: "Click To Add Signature" on Files From My Preparer opens the
drawing box; with the mouse on a desktop (English) and with a finger on a phone (Spanish):
Save refuses the empty box, Clear empties it, Save keeps it, Back shows "Signature On File"."""

from __future__ import annotations

import itertools
import json
import re
import sys
from functools import partial
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Account, Client, PortalServer
from tests.browser.test_taxpayer_journey import (
    WORDS,
    invite_by_email,
    masked_phone,
    register,
)
from tests.browser.ui import horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SIGNER_EN = Client("Sigrid", "Firmante", "400-12-3481", "sigrid@example.com", "(706) 555-0181")
SIGNER_ES = Client(
    "Sofía", "Trazo", "400-12-3482", "sofia@example.com", "(706) 555-0182", language="es"
)
TEXTS = {
    "en": {
        "taxpayer": "Taxpayer:",
        "add": "Click To Add Signature",
        "on_file": "Signature On File",
        "title": "Edit Taxpayer Signature",
        "box": "Signature drawing box",
        "back": "Back",
        "clear": "Clear",
        "save": "Save",
        "empty": "The box is empty. Draw your signature in the box, then Save.",
        "saved": "Your signature was saved.",
        "alt": "The taxpayer's signature on file",
    },
    "es": {
        "taxpayer": "Contribuyente:",
        "add": "Haga clic para agregar su firma",
        "on_file": "Firma en archivo",
        "title": "Editar la firma del contribuyente",
        "box": "Recuadro para dibujar la firma",
        "back": "Volver",
        "clear": "Borrar",
        "save": "Guardar",
        "empty": "El recuadro está vacío. Dibuje su firma en el recuadro y luego elija Guardar.",
        "saved": "Su firma se guardó.",
        "alt": "La firma del contribuyente en archivo",
    },
}
INK = """() => {
  const canvas = document.getElementById("signature-pad");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 127) ink++;
  return ink;
}"""


def seed(server: PortalServer, client: Client) -> None:
    script = Path(__file__).with_name("seed_returns.py")
    server._run([sys.executable, str(script)], None, json.dumps([client.fields()]))


async def signed_up(page: Page, server: PortalServer, client: Client, link: str, user: str) -> None:
    words = WORDS[client.language]
    await page.goto(link)
    await register(page, client, words, user)
    await page.get_by_role("button", name=words["register_button"], exact=True).click()
    await page.get_by_role("button", name=words["send_text"].format(masked_phone(client))).click()
    await expect(page.get_by_role("status")).to_have_text(words["sent"])
    await page.get_by_label(words["code"], exact=True).fill(server.code_texted_to(client.e164))
    await page.get_by_role("button", name=words["verify_button"], exact=True).click()
    await expect(page).to_have_url(re.compile(r"/portal/$"))


def stroke_points(box: dict[str, float]) -> list[tuple[float, float]]:
    """A signature-like zigzag across the middle of the box."""
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    return [
        (left + width * (0.1 + 0.08 * i), top + height * (0.3 if i % 2 else 0.7)) for i in range(10)
    ]


async def draw_with_mouse(page: Page) -> None:
    box = await page.locator("#signature-pad").bounding_box()
    assert box is not None
    points = stroke_points(box)
    await page.mouse.move(*points[0])
    await page.mouse.down()
    for x, y in points[1:]:
        await page.mouse.move(x, y, steps=6)
    await page.mouse.up()


async def draw_with_finger(page: Page) -> None:
    """A real touch stroke, as Chromium's touch emulation delivers one (touch, then pointer
    events of type "touch")."""
    box = await page.locator("#signature-pad").bounding_box()
    assert box is not None
    points = stroke_points(box)
    session = await page.context.new_cdp_session(page)
    touch = partial(session.send, "Input.dispatchTouchEvent")
    await touch({"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        for step in range(1, 7):
            x, y = x0 + (x1 - x0) * step / 6, y0 + (y1 - y0) * step / 6
            await touch({"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    await touch({"type": "touchEnd", "touchPoints": []})
    await session.detach()


async def sign_and_keep(page: Page, language: str, draw) -> None:  # type: ignore[no-untyped-def]
    texts = TEXTS[language]
    await page.goto("/portal/preparer-files")
    row = page.locator("#signature-taxpayer")
    await expect(row).to_contain_text(texts["taxpayer"])
    await row.get_by_role("link", name=texts["add"]).click()
    await expect(page.get_by_role("heading", name=texts["title"], level=1)).to_be_visible()
    box = page.get_by_role("img", name=texts["box"])
    await expect(box).to_be_visible()
    # sharp on high-density screens: the canvas has a pixel per device pixel (once the
    # page's module has run: it sizes the canvas)
    await page.wait_for_function(
        "() => { const c = document.getElementById('signature-pad');"
        " return c && Math.abs(c.width - c.getBoundingClientRect().width * devicePixelRatio)"
        " <= devicePixelRatio; }"
    )
    ratio = await page.evaluate("() => window.devicePixelRatio")
    width = await page.evaluate("() => document.getElementById('signature-pad').width")
    shown = (await box.bounding_box())["width"]  # type: ignore[index]
    assert abs(width - shown * ratio) <= ratio, (width, shown, ratio)

    save = page.get_by_role("button", name=texts["save"], exact=True)
    await save.click()  # the empty box: refused in the browser
    status = page.get_by_role("status")
    await expect(status).to_have_text(texts["empty"])

    scrolled = await page.evaluate("() => window.scrollY")
    await draw(page)
    assert await page.evaluate(INK) > 100
    assert await page.evaluate("() => window.scrollY") == scrolled  # drawing never scrolls
    await page.get_by_role("button", name=texts["clear"], exact=True).click()
    assert await page.evaluate(INK) == 0
    await save.click()
    await expect(status).to_have_text(texts["empty"])

    await draw(page)
    await save.click()
    await expect(status).to_have_text(texts["saved"])
    await page.get_by_role("link", name=texts["back"], exact=True).click()
    await expect(page).to_have_url(re.compile(r"/portal/preparer-files$"))
    await expect(row).to_contain_text(texts["on_file"])
    await expect(row.get_by_role("link", name=texts["add"])).to_have_count(0)
    image = row.get_by_role("img", name=texts["alt"])
    await expect(image).to_be_visible()
    assert await image.evaluate("img => img.complete && img.naturalWidth") > 100


async def test_draw_with_the_mouse_clear_save_and_it_is_on_file(
    desktop: Page,
    open_page,  # type: ignore[no-untyped-def]
    portal_server: PortalServer,
    preparer: Account,
) -> None:
    seed(portal_server, SIGNER_EN)
    _, link = await invite_by_email(desktop, portal_server, SIGNER_EN, preparer)
    page = await open_page("desktop")
    await signed_up(page, portal_server, SIGNER_EN, link, "sigrid.f")
    await sign_and_keep(page, "en", draw_with_mouse)

    # With the keyboard: Redraw, then Back, Clear and Save in order, each with its name.
    await page.get_by_role("link", name="Redraw").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Edit Taxpayer Signature")).to_be_visible()
    await expect(page.get_by_text("A signature is on file")).to_be_visible()
    await page.get_by_role("link", name="Back", exact=True).focus()
    for name in ("Clear", "Save"):
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("button", name=name, exact=True)).to_be_focused()


async def test_draw_with_a_finger_on_a_phone_in_spanish(
    desktop: Page,
    phone: Page,
    portal_server: PortalServer,
    preparer: Account,
    screenshots: Path,
) -> None:
    seed(portal_server, SIGNER_ES)
    _, link = await invite_by_email(desktop, portal_server, SIGNER_ES, preparer)
    await signed_up(phone, portal_server, SIGNER_ES, link, "sofia.t")
    await sign_and_keep(phone, "es", draw_with_finger)
    assert await horizontal_overflow(phone) == 0
    await phone.screenshot(path=screenshots / "taxpayer-signature-on-file-phone.png")
    await phone.get_by_role("link", name="Volver a dibujar").tap()
    await expect(phone.get_by_role("heading", name=TEXTS["es"]["title"])).to_be_visible()
    assert await horizontal_overflow(phone) == 0  # the box fits 360 px
    box = await phone.locator("#signature-pad").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    await phone.screenshot(path=screenshots / "taxpayer-signature-phone.png", full_page=True)
