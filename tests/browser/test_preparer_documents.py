"""The preparer sends a return PDF from the Signed Document Manager; the taxpayer opens it with
View on a phone: a new tab whose response is the PDF, inline."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import TAXPAYER_DOCS, Account, PortalServer
from tests.browser.test_taxpayer_journey import (
    WORDS,
    invite_by_email,
    masked_phone,
    pass_code,
    register,
    shot,
)
from tests.preparer_documents.pdfs import pdf

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

FILE_NAME = "2025 Form 1040 – Papeles.pdf"


async def test_the_preparer_sends_a_return_pdf_and_the_taxpayer_views_it(
    desktop: Page,
    phone: Page,
    portal_server: PortalServer,
    preparer: Account,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    client, words = TAXPAYER_DOCS, WORDS["en"]
    _, link = await invite_by_email(desktop, portal_server, client, preparer)

    await phone.goto(link)
    await register(phone, client, words, "dolores.p")
    await phone.get_by_role("button", name=words["register_button"], exact=True).tap()
    await phone.get_by_role("button", name=words["send_text"].format(masked_phone(client))).tap()
    await pass_code(phone, partial(portal_server.code_texted_to, client.e164), words)
    await expect(phone).to_have_url(re.compile(r"/portal/$"))

    # The preparer: File Viewer -> the client's Signed Documents -> add the PDF, tick, OK.
    data = pdf(2, "Form 1040")
    upload = tmp_path / FILE_NAME
    upload.write_bytes(data)
    await desktop.goto(f"/staff/?q={client.last_name}")
    row = desktop.get_by_role("row").filter(has_text=client.primary_email)
    await row.get_by_role("link", name="Signed Documents").click()
    await expect(desktop.get_by_role("heading", name="Signed Document Manager")).to_be_visible()
    await desktop.get_by_label("PDF files (up to 50 MB each)").set_input_files(upload)
    await desktop.get_by_role("button", name="Add", exact=True).click()
    await expect(desktop.get_by_role("status")).to_contain_text("1 PDF added")
    await desktop.get_by_role("checkbox", name=f"Send {FILE_NAME}").check()
    await desktop.get_by_role("checkbox", name=f"Taxpayer signs {FILE_NAME}").check()
    await desktop.get_by_role("button", name="OK", exact=True).click()
    await expect(desktop.get_by_role("status")).to_contain_text("1 document sent")
    await expect(desktop.get_by_role("status")).to_contain_text("told by email")
    row = desktop.get_by_role("row").filter(has_text=FILE_NAME)
    await expect(row).to_contain_text("Sent")
    await expect(row).to_contain_text("Taxpayer: waiting for signature")
    await desktop.screenshot(path=screenshots / "signed-document-manager.png", full_page=True)
    [notice] = [
        m
        for m in portal_server.emails_to(client.primary_email)
        if m["Subject"] == "New documents from your preparer"
    ]
    assert "/portal/preparer-files" in notice.get_body(("plain",)).get_content()

    # The taxpayer, on the phone: Home counts it; the table shows it; View opens a new tab.
    await phone.goto("/portal/")
    theirs = phone.get_by_role("region", name=words["preparer_files"])
    await expect(theirs).to_contain_text("1 File Sent")
    await theirs.get_by_role("link", name="View Files").tap()
    await expect(phone.get_by_role("heading", name="Files From My Preparer")).to_be_visible()
    table = phone.get_by_role("table")
    await expect(table.get_by_role("columnheader")).to_have_text(
        ["File Name", "Date Sent", "Taxpayer Sign Document", "View"]
    )
    listed = table.get_by_role("row").filter(has_text=FILE_NAME)
    await expect(listed).to_be_visible()
    await shot(phone, screenshots, "preparer-files")
    view = listed.get_by_role("link", name=re.compile("^View"))
    await expect(view).to_have_attribute("target", "_blank")
    is_pdf = re.compile(r"/portal/preparer-files/\d+$")
    async with (
        phone.context.expect_event("response", lambda r: bool(is_pdf.search(r.url))) as answer,
        phone.expect_popup() as opened,
    ):
        await view.tap()
    response = await answer.value
    tab = await opened.value
    assert is_pdf.search(tab.url), tab.url
    assert response.status == 200
    headers = await response.all_headers()  # .headers leaves security headers out
    assert headers["content-type"] == "application/pdf"
    assert headers["content-disposition"].startswith("inline; ")
    assert (
        "filename*=UTF-8''2025%20Form%201040%20%E2%80%93%20Papeles.pdf"
        in (headers["content-disposition"])
    )
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert headers["content-security-policy"].startswith("sandbox")
    await tab.close()
