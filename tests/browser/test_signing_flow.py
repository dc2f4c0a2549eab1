"""Signing a joint return in a real browser, from the preparer's Send to sealed PDFs.

The preparer sends Form 8879 and the return to a joint return, asking both spouses to sign.
On a desktop, in English, the taxpayer signs the 8879 (Sign, consent, identity check with the
code from the outbox and the facts, a drawing with the mouse, View, Sign): the sealed copy
validates and has ink on the taxpayer's line only, and the 8879 waits for the spouse. The
taxpayer cannot sign as the spouse. With the keyboard alone the taxpayer signs the return.
On a 360 px phone, in Spanish, the spouse passes their own check, draws with a finger and
signs: the final copy holds both signatures.

One server for the module, with the signing_pdf plugin on (the firm's keys made at its first
start); the portal is made and the taxpayer registered once, then each test signs in again
from the saved cookies. The tests run in file order; each one also runs alone, doing the
steps before it that it needs.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Locator, Page, expect

from taxportal.api import PlacementBox
from tests.browser.harness import Account, Client, PortalServer
from tests.browser.test_signature import draw_with_finger, draw_with_mouse, signed_up
from tests.browser.test_taxpayer_journey import invite_by_email
from tests.browser.ui import focused, horizontal_overflow
from tests.signing_pdf import documents
from tests.signing_pdf.conftest import dark_pixels, render

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

JOINT = Client(
    "Teresa", "Conjunta", "400-12-3501", "teresa@example.com", "(706) 555-0201", "12 Oak St"
)
SPOUSE_EMAIL, SPOUSE_PHONE = "tomas@example.com", "+17065550202"
FACTS = {
    "birth_date": "1975-03-14",
    "prior_year_agi": 61250,
    "spouse_first_name": "Tomás",
    "spouse_last_name": "Conjunta",
    "spouse_email": SPOUSE_EMAIL,
    "spouse_mobile_phone": "(706) 555-0202",
    "spouse_birth_date": "1977-11-02",
    "spouse_prior_year_agi": 61250,
}
ANSWERS = {"taxpayer": ("03/14/1975", "$61,250"), "spouse": ("11/02/1977", "61250")}
FORM_8879 = "Form 8879 Conjunta.pdf"
RETURN = "2025 Form 1040 Conjunta.pdf"
PLUGINS = '["notify_email", "notify_sms", "storage_local", "signing_pdf"]'
LEAN_PLUGINS = '["notify_email", "notify_sms", "storage_local"]'  # a subset of what migrated
PAGE_HEIGHT = documents.LETTER[1]
# the 8879's printed lines, right of their labels (the printed rule is in both renders)
LINE_AREAS = {
    "taxpayer": PlacementBox(0, 160, documents.TAXPAYER_LINE[1] - 4, 260, 30),
    "spouse": PlacementBox(0, 160, documents.SPOUSE_LINE[1] - 4, 260, 30),
}
HERE = Path(__file__).resolve().parent
TEXTS = {
    "en": {
        "sign": "Sign",
        "signed": "Signed!",
        "agree": "I agree",
        "send": "Send my security code",
    },
    "es": {
        "sign": "Firmar",
        "signed": "¡Firmado!",
        "agree": "Acepto",
        "send": "Enviar mi código de seguridad",
    },
}


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    """This module's own server (it replaces the session's): it signs PDFs."""
    work_dir = tmp_path_factory.mktemp("signing-portal")
    server = PortalServer(
        data_dir=work_dir / "data",
        work_dir=work_dir,
        # a failed identity check ends its code; the next one need not wait the minute
        extra_env={
            "TAXPORTAL_PLUGINS__ENABLED": PLUGINS,
            "TAXPORTAL_ACCOUNTS__CODE_RESEND_SECONDS": "0",
        },
        start_seconds=90,  # the firm's keys are made before the first answer
    )
    try:
        server.start(clients=(), accounts=())
        yield server
    finally:
        server.stop()


@dataclass
class Joint:
    """What the module's tests share: the signed-in taxpayer's cookies, the documents sent,
    and how far the signing got."""

    taxpayer: dict[str, Any] | None = None  # Playwright's storage state
    ids: dict[str, int] = field(default_factory=dict)  # file name -> document id
    taxpayer_signed_8879: bool = False
    taxpayer_code: str = ""  # the code the taxpayer's own identity check took


@pytest.fixture(scope="module")
def joint(portal_server: PortalServer) -> Joint:
    return Joint()


Opener = Callable[..., Awaitable[Page]]


async def portal_page(joint: Joint, open_page: Opener, server: PortalServer, kind: str) -> Page:
    """A page signed in to the joint return's portal (made, and documents sent, the first time)."""
    if joint.taxpayer is None:
        await _make_portal_and_send(joint, open_page, server)
    assert joint.taxpayer is not None
    return await open_page(kind, storage_state=joint.taxpayer)


async def _make_portal_and_send(joint: Joint, open_page: Opener, server: PortalServer) -> None:
    preparer = Account(
        "preparer-signs@evans-tax.example.com", "preparer password 12345", "preparer"
    )
    seed_joint_and_preparer(server, preparer)
    console = await open_page("desktop")
    _, link = await invite_by_email(console, server, JOINT, preparer)
    page = await open_page("desktop")
    await signed_up(page, server, JOINT, link, "teresa.c")
    await send_both(console, server)
    await page.goto("/portal/preparer-files")
    for name in (FORM_8879, RETURN):
        row_id = await row(page, name).get_attribute("id")
        joint.ids[name] = int(str(row_id).removeprefix("doc-"))
    joint.taxpayer = await page.context.storage_state()


def seed_joint_and_preparer(server: PortalServer, preparer: Account) -> None:
    """The joint return and a preparer, by the commands a firm runs. Without the signing
    plugin, which neither needs: importing pyHanko costs seconds per command."""
    lean = {**server.env(), "TAXPORTAL_PLUGINS__ENABLED": LEAN_PLUGINS}
    script = HERE / "seed_returns.py"
    server._run([sys.executable, str(script)], lean, json.dumps([{**JOINT.fields(), **FACTS}]))
    data_dir = str(server.data_dir)
    add = ("staff", "add", preparer.email, "--role", preparer.role, "--data-dir", data_dir)
    server.taxportal(
        *add, "--password-env", "PASSWORD", env={**lean, "PASSWORD": preparer.password}
    )


async def send_both(console: Page, server: PortalServer) -> None:
    """The preparer adds Form 8879 and the return, and sends both for both spouses to sign."""
    folder = server.work_dir / "to-send"
    folder.mkdir(exist_ok=True)
    (folder / FORM_8879).write_bytes(documents.form_8879())
    (folder / RETURN).write_bytes(documents.plain_document(2))
    await console.goto(f"/staff/?q={JOINT.last_name}")
    listed = console.get_by_role("row").filter(has_text=JOINT.primary_email)
    await listed.get_by_role("link", name="Signed Documents").click()
    await expect(console.get_by_text("joint with Tomás Conjunta")).to_be_visible()
    files = console.get_by_label("PDF files (up to 50 MB each)")
    await files.set_input_files([folder / FORM_8879, folder / RETURN])
    await console.get_by_role("button", name="Add", exact=True).click()
    await expect(console.get_by_role("status")).to_contain_text("2 PDFs added")
    for name in (FORM_8879, RETURN):
        for box in ("Send", "Taxpayer signs", "Spouse signs"):
            await console.get_by_role("checkbox", name=f"{box} {name}").check()
    await console.get_by_role("button", name="OK", exact=True).click()
    await expect(console.get_by_role("status")).to_contain_text("2 documents sent")
    sent = console.get_by_role("row").filter(has_text=FORM_8879)
    await expect(sent).to_contain_text("Taxpayer: waiting for signature")
    await expect(sent).to_contain_text("Spouse: waiting for signature")


def row(page: Page, name: str) -> Locator:
    return page.locator("#preparer-files tbody tr").filter(has_text=name)


def sign_cell(page: Page, name: str, role: str) -> Locator:
    return row(page, name).locator(f'td.sign-cell[data-role="{role}"]')


CONTACTS = {
    "taxpayer": (JOINT.primary_email, JOINT.e164),
    "spouse": (SPOUSE_EMAIL, SPOUSE_PHONE),
}


def outbox(server: PortalServer) -> dict[str, tuple[int, int]]:
    """Per signer: how many emails and texts their own contacts have received."""
    return {
        role: (len(server.emails_to(email)), len(server.texts_to(phone)))
        for role, (email, phone) in CONTACTS.items()
    }


def code_just_sent(server: PortalServer, role: str, before: dict[str, tuple[int, int]]) -> str:
    """The one code sent since ``before``: to ``role``'s own email or phone, nobody else's."""
    after = outbox(server)
    other = "spouse" if role == "taxpayer" else "taxpayer"
    assert after[other] == before[other], "a code went to the other spouse"
    (emails, texts), (emails_before, texts_before) = after[role], before[role]
    assert (emails - emails_before) + (texts - texts_before) == 1, (before, after)
    email, phone = CONTACTS[role]
    if emails > emails_before:
        return server.code_emailed_to(email)
    return server.code_texted_to(phone)


async def answer(page: Page, code: str, birth: str, agi: str) -> None:
    """The identity page's questions: the code (focused first), date of birth, last AGI."""
    await page.locator("form input[autocomplete=one-time-code]").fill(code)
    await page.locator("form input[inputmode=numeric][placeholder]").fill(birth)
    await page.locator("form input[inputmode=decimal]").fill(agi)
    await page.locator("form input[inputmode=decimal]").press("Enter")


async def pass_identity(page: Page, server: PortalServer, role: str, language: str) -> str:
    """On the identity page: send the code, read it from the signer's own contact, answer.
    The code it took."""
    before = outbox(server)
    await page.get_by_role("button", name=TEXTS[language]["send"]).click()
    await expect(page.get_by_role("status")).to_be_visible()
    code = code_just_sent(server, role, before)
    await answer(page, code, *ANSWERS[role])
    return code


def copies(server: PortalServer, document_id: int) -> list[dict[str, Any]]:
    """The sealed copies the firm holds, each checked by the signing plugin's own validate."""
    script = HERE / "signed_copies.py"
    found = json.loads(server._run([sys.executable, str(script), str(document_id)], None, None))
    for copy in found:
        copy["pdf"] = base64.b64decode(copy["pdf"])
    return found


def ink_added(signed: bytes, role: str, tmp_path: Path) -> int:
    """Dark pixels the signing added on ``role``'s line of the 8879 (page 1)."""
    box = LINE_AREAS[role]
    was = dark_pixels(render(documents.form_8879(), 0, tmp_path), box, PAGE_HEIGHT)
    return dark_pixels(render(signed, 0, tmp_path), box, PAGE_HEIGHT) - was


def poppler_says_valid(pdf: bytes, tmp_path: Path) -> None:
    if shutil.which("pdfsig") is None:
        return
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert report.count("Signature #") == 1 and "Signature is Valid" in report, report
    assert "Total document signed" in report, report


async def view_in_new_tab(page: Page, press: Callable[[], Awaitable[None]]) -> None:
    """View opens the PDF in a new tab: it answers 200 with the PDF; the tab is closed."""
    async with page.expect_popup() as opened:
        await press()
    tab = await opened.value
    await tab.wait_for_load_state()
    # the Sign page's View names its signer: that signer's own View is what Sign waits for
    assert re.search(r"/portal/preparer-files/\d+(\?signer=(taxpayer|spouse))?$", tab.url), tab.url
    await tab.close()


async def pad_ready(page: Page) -> None:
    """The page's module has sized the drawing box to its pixels (a resize clears it)."""
    await page.wait_for_function(
        "() => { const c = document.getElementById('signature-pad');"
        " return c && c.width > 0 && Math.abs(c.width - c.getBoundingClientRect().width"
        " * devicePixelRatio) <= devicePixelRatio; }"
    )


async def taxpayer_signs_8879(joint: Joint, page: Page, server: PortalServer) -> None:
    """The taxpayer's whole first signing, English, mouse: Sign leads through every step."""
    await page.goto("/portal/preparer-files")
    document_id = joint.ids[FORM_8879]
    await expect(page.locator("#signature-taxpayer")).to_contain_text("Click To Add Signature")
    await expect(page.locator("#signature-spouse")).to_contain_text("Spouse:")
    headers = page.locator("#preparer-files thead th")
    await expect(headers).to_have_text(
        ["File Name", "Date Sent", "Taxpayer Sign Document", "Spouse Sign Document", "View"]
    )
    await (
        sign_cell(page, FORM_8879, "taxpayer").get_by_role("link", name=re.compile("^Sign")).click()
    )

    sign_page = f"/portal/preparer-files/{document_id}/sign/taxpayer"
    await expect(page).to_have_url(re.compile(r"/portal/signing/consent\?role=taxpayer&"))
    await page.get_by_role("button", name="I agree", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/portal/signing/identity\?role=taxpayer&"))
    await expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    joint.taxpayer_code = await pass_identity(page, server, "taxpayer", "en")
    await expect(page).to_have_url(re.compile(r"/portal/signature/taxpayer\?next="))
    await expect(page.get_by_role("heading", name="Edit Taxpayer Signature")).to_be_visible()
    await pad_ready(page)
    await draw_with_mouse(page)
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("Your signature was saved.")
    await page.get_by_role("link", name="Back", exact=True).click()

    await expect(page).to_have_url(re.compile(re.escape(sign_page) + "$"))
    await expect(page.get_by_role("heading", name="Sign Document")).to_be_visible()
    await expect(page.get_by_role("img", name="Your signature on file")).to_be_visible()
    sign = page.get_by_role("button", name="Sign", exact=True)
    await sign.click()  # not opened yet: refused, told to View first
    await expect(page.get_by_role("alert")).to_have_text(
        "Open the document with View and read it before you sign it."
    )
    await expect(page.get_by_text("Open the document with View")).to_have_count(1)  # said once
    view = page.get_by_role("main").get_by_role("link", name=re.compile("^View"))
    await view_in_new_tab(page, view.click)
    await sign.click()

    await expect(page).to_have_url(re.compile(rf"/portal/preparer-files\?signed={document_id}"))
    await expect(page.get_by_role("status")).to_have_text(
        "Signed! Your preparer receives the signed document."
    )
    await expect(sign_cell(page, FORM_8879, "taxpayer")).to_have_text("Signed!")
    # the 8879 is not complete: the spouse still has to sign it
    await expect(sign_cell(page, FORM_8879, "spouse").get_by_role("link")).to_have_text(
        re.compile("^Sign")
    )
    await expect(page.locator("#signature-taxpayer")).to_contain_text("Signature On File")
    joint.taxpayer_signed_8879 = True


async def test_the_taxpayer_signs_form_8879_with_the_mouse_and_it_waits_for_the_spouse(
    open_page: Opener, portal_server: PortalServer, joint: Joint, tmp_path: Path
) -> None:
    page = await portal_page(joint, open_page, portal_server, "desktop")
    await taxpayer_signs_8879(joint, page, portal_server)

    [copy] = copies(portal_server, joint.ids[FORM_8879])
    assert (copy["signers"], copy["complete"]) == ("taxpayer", False)
    assert copy["passed"], "the signing plugin does not validate the sealed copy"
    assert copy["validation"].split()[:4] == ["intact", "valid", "trusted", "whole_file"]
    poppler_says_valid(copy["pdf"], tmp_path)
    assert ink_added(copy["pdf"], "taxpayer", tmp_path) > 200
    assert ink_added(copy["pdf"], "spouse", tmp_path) == 0


async def test_the_taxpayer_cannot_sign_as_the_spouse(
    open_page: Opener, portal_server: PortalServer, joint: Joint
) -> None:
    page = await portal_page(joint, open_page, portal_server, "desktop")
    if not joint.taxpayer_signed_8879:  # the taxpayer's own check passed minutes ago
        await taxpayer_signs_8879(joint, page, portal_server)
    document_id = joint.ids[FORM_8879]
    spouse_sign = f"/portal/preparer-files/{document_id}/sign/spouse"
    on_spouse_identity = re.compile(r"/portal/signing/identity\?role=spouse&")

    await page.goto("/portal/preparer-files")
    await sign_cell(page, FORM_8879, "spouse").get_by_role("link").click()
    await page.wait_for_url(re.compile(r"/portal/signing/(consent|identity)\?role=spouse&"))
    if "/portal/signing/consent" in page.url:  # agreeing is a click: it proves nothing
        await page.get_by_role("button", name="I agree", exact=True).click()
    await expect(page).to_have_url(on_spouse_identity)
    await expect(page.get_by_text("Before your spouse signs, we check")).to_be_visible()
    await expect(page.get_by_role("button", name="Sign", exact=True)).to_have_count(0)

    # the taxpayer's passed check does not count: straight to the spouse's pages, or a Sign
    for path in (spouse_sign, "/portal/signature/spouse"):
        await page.goto(path)
        await expect(page).to_have_url(on_spouse_identity)
        await expect(page.get_by_role("button", name="Sign", exact=True)).to_have_count(0)
    token = await page.locator("form.lang-switch input[type=hidden]").first.get_attribute("value")
    name = await page.locator("form.lang-switch input[type=hidden]").first.get_attribute("name")
    forged = await page.request.post(spouse_sign, form={str(name): str(token)}, max_redirects=0)
    assert forged.status == 303, forged.status
    assert "/portal/signing/identity?role=spouse" in forged.headers["location"]

    # the code goes to the spouse's own contact; the taxpayer's answers fail for the spouse
    await page.goto(spouse_sign)
    before = outbox(portal_server)
    await page.get_by_role("button", name=TEXTS["en"]["send"]).click()
    spouse_code = code_just_sent(portal_server, "spouse", before)
    assert joint.taxpayer_code and joint.taxpayer_code != spouse_code
    await answer(page, joint.taxpayer_code, *ANSWERS["taxpayer"])
    await expect(page).to_have_url(on_spouse_identity)
    await expect(page.get_by_role("alert")).to_be_visible()
    await page.goto("/portal/preparer-files")
    await expect(sign_cell(page, FORM_8879, "spouse").get_by_role("link")).to_have_text(
        re.compile("^Sign")
    )


async def test_sign_the_return_with_the_keyboard_alone(
    open_page: Opener, portal_server: PortalServer, joint: Joint
) -> None:
    page = await portal_page(joint, open_page, portal_server, "desktop")
    if not joint.taxpayer_signed_8879:  # consent, identity and a signature on file first
        await taxpayer_signs_8879(joint, page, portal_server)
    await page.goto("/portal/preparer-files")
    sign_link = sign_cell(page, RETURN, "taxpayer").get_by_role("link")
    await tab_to(page, sign_link)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/sign/taxpayer$"))
    view = page.get_by_role("main").get_by_role("link", name=re.compile("^View"))
    await tab_to(page, view)
    await view_in_new_tab(page, lambda: page.keyboard.press("Enter"))
    sign = page.get_by_role("button", name="Sign", exact=True)
    await tab_to(page, sign)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/portal/preparer-files\?signed="))
    await expect(sign_cell(page, RETURN, "taxpayer")).to_have_text("Signed!")


async def tab_to(page: Page, target: Locator, most: int = 60) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user does."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        if await target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}; the focus is on {await focused(page)!r}")


async def table_overflow(page: Page) -> int:
    """How many CSS pixels the files table is wider than its box (the part scrolled away)."""
    return int(
        await page.evaluate(
            "() => { const w = document.querySelector('#preparer-files').closest('.table-wrap');"
            " return w.scrollWidth - w.clientWidth; }"
        )
    )


async def test_the_spouse_signs_on_a_phone_in_spanish_with_a_finger(
    open_page: Opener, portal_server: PortalServer, joint: Joint, tmp_path: Path, screenshots: Path
) -> None:
    if not joint.taxpayer_signed_8879:
        desktop = await portal_page(joint, open_page, portal_server, "desktop")
        await taxpayer_signs_8879(joint, desktop, portal_server)
    page = await portal_page(joint, open_page, portal_server, "phone")
    words = TEXTS["es"]
    await page.goto("/portal/preparer-files")
    await page.get_by_role("button", name="Español").tap()
    await expect(page.get_by_role("heading", name="Archivos de mi preparador")).to_be_visible()
    assert await horizontal_overflow(page) == 0, "Files From My Preparer scrolls sideways"
    assert await table_overflow(page) == 0, "the Sign and View links are off screen"
    await expect(page.locator("#signature-spouse")).to_contain_text("Cónyuge:")
    await sign_cell(page, FORM_8879, "spouse").get_by_role("link").tap()
    # the spouse proves who they are first, then agrees in their own name
    await expect(page).to_have_url(re.compile(r"/portal/signing/identity\?role=spouse&"))
    await expect(page.get_by_role("heading", name="Confirme que es usted")).to_be_visible()
    await pass_identity(page, portal_server, "spouse", "es")
    await expect(page).to_have_url(re.compile(r"/portal/signing/consent\?role=spouse&"))
    await page.get_by_role("button", name=words["agree"], exact=True).tap()

    await expect(page).to_have_url(re.compile(r"/portal/signature/spouse\?next="))
    await expect(page.get_by_role("heading", name="Editar la firma del cónyuge")).to_be_visible()
    await pad_ready(page)
    assert await horizontal_overflow(page) == 0, "the drawing page scrolls sideways"
    await draw_with_finger(page)
    # A finger takes a moment to reach Save. Tapped at once after the synthetic stroke,
    # Chromium delivered the button its touch and pointer events but no click.
    await page.wait_for_timeout(400)
    await page.get_by_role("button", name="Guardar", exact=True).tap()
    await expect(page.get_by_role("status")).to_have_text("Su firma se guardó.")
    await page.get_by_role("link", name="Volver", exact=True).tap()

    await expect(page).to_have_url(re.compile(r"/sign/spouse$"))
    await expect(page.get_by_role("heading", name="Firmar documento")).to_be_visible()
    assert await horizontal_overflow(page) == 0, "the sign page scrolls sideways"
    await page.screenshot(path=screenshots / "spouse-sign-document-phone.png", full_page=True)
    # the taxpayer's View does not count for the spouse: the spouse opens it as the spouse
    view = page.get_by_role("main").get_by_role("link", name=re.compile("^Ver"))
    await view_in_new_tab(page, view.tap)
    back = await page.get_by_role("link", name="Volver", exact=True).bounding_box()
    sign = await page.get_by_role("button", name=words["sign"], exact=True).bounding_box()
    assert back and sign and (back["y"], back["height"]) == (sign["y"], sign["height"]), (
        "Back and Sign are not side by side",
        back,
        sign,
    )
    await page.get_by_role("button", name=words["sign"], exact=True).tap()
    await expect(page).to_have_url(re.compile(r"/portal/preparer-files\?signed="))
    await expect(page.get_by_role("status")).to_have_text(
        "¡Firmado! Su preparador recibe el documento firmado."
    )
    await expect(sign_cell(page, FORM_8879, "spouse")).to_have_text(words["signed"])
    await expect(sign_cell(page, FORM_8879, "taxpayer")).to_have_text(words["signed"])
    assert await horizontal_overflow(page) == 0
    await page.screenshot(path=screenshots / "preparer-files-signed-phone.png", full_page=True)

    taxpayers, final = copies(portal_server, joint.ids[FORM_8879])
    assert (taxpayers["signers"], taxpayers["complete"]) == ("taxpayer", False)
    assert (final["signers"], final["complete"]) == ("taxpayer+spouse", True)
    assert final["passed"], "the signing plugin does not validate the final copy"
    poppler_says_valid(final["pdf"], tmp_path)
    assert ink_added(final["pdf"], "taxpayer", tmp_path) > 200
    assert ink_added(final["pdf"], "spouse", tmp_path) > 200
