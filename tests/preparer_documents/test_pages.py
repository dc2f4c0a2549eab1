"""The Signed Document Manager (console) and "Files From My Preparer" (taxpayer), over HTTP."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from aiohttp import FormData
from aiohttp.test_utils import TestClient

from taxportal.models import ActivityEntry, Portal, PreparerDocument, TaxpayerAccount, TaxReturn
from tests.accounts.journey import (
    code_in,
    enter_code,
    form_token,
    invited,
    newest_email,
    newest_sms_text,
    outbox,
    register,
    send_code,
)
from tests.preparer_documents.conftest import Firm, firm_with_taxpayer
from tests.preparer_documents.pdfs import EXE, encrypted_pdf, pdf
from tests.support import csrf_from

NASTY_NAME = 'Form 8879 "final"\u202e; x.pdf'


def manager(firm: Firm) -> str:
    return f"/staff/returns/{firm.return_id}/documents"


async def upload(firm: Firm, *files: tuple[str, bytes]) -> Any:
    token = await csrf_from(firm.staff, manager(firm))
    form = FormData(quote_fields=False)  # names sent as a browser sends them, UTF-8 as is
    for name, data in files:
        browser_name = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        form.add_field("file", data, filename=browser_name, content_type="application/pdf")
    return await firm.staff.post(
        f"{manager(firm)}?csrf_token={quote(token)}", data=form, allow_redirects=False
    )


async def send(firm: Firm, fields: list[tuple[str, str]]) -> Any:
    token = await csrf_from(firm.staff, manager(firm))
    return await firm.staff.post(
        f"{manager(firm)}/send", data=[("csrf_token", token), *fields], allow_redirects=False
    )


async def add_and_send(firm: Firm, name: str, data: bytes) -> PreparerDocument:
    assert (await upload(firm, (name, data))).status == 303
    row = await PreparerDocument.get(file_name=name)
    response = await send(firm, [("send", str(row.id)), ("taxpayer_signs", str(row.id))])
    assert response.status == 303, await response.text()
    return row


async def test_the_preparer_sends_and_the_taxpayer_views_it(firm: Firm) -> None:
    data = pdf(2)
    edit = await (await firm.staff.get(f"/staff/returns/{firm.return_id}/edit")).text()
    assert f'href="{manager(firm)}"' in edit  # reached from the return's page
    response = await upload(firm, ("Form 1040.pdf", data), (NASTY_NAME, pdf(1)))
    assert response.status == 303
    page = await (await firm.staff.get(response.headers["Location"])).text()
    assert "2 PDFs added" in page and "Not sent" in page
    assert "Spouse signs" not in page  # not a joint return
    row = await PreparerDocument.get(file_name="Form 1040.pdf")
    nasty = await PreparerDocument.get(file_name=NASTY_NAME)

    response = await send(
        firm, [("send", str(row.id)), ("send", str(nasty.id)), ("taxpayer_signs", str(row.id))]
    )
    assert response.status == 303
    page = await (await firm.staff.get(response.headers["Location"])).text()
    assert "2 documents sent" in page and "told by email" in page
    assert "Taxpayer: waiting for signature" in page and '<small class="muted">Sent ' in page

    home = await (await firm.taxpayer.get("/portal/")).text()
    assert "2 Files Sent" in home
    listing = await (await firm.taxpayer.get("/portal/preparer-files")).text()
    assert "Form 1040.pdf" in listing and "Date Sent" in listing
    assert "&#34;final&#34;" in listing or "&quot;final&quot;" in listing  # escaped
    sent_on = (await PreparerDocument.get(id=row.id)).sent_at
    assert sent_on is not None and sent_on.strftime("%b %-d, %Y") in listing
    assert f'href="/portal/preparer-files/{row.id}" target="_blank"' in listing

    view = await firm.taxpayer.get(f"/portal/preparer-files/{row.id}")
    assert view.status == 200 and await view.read() == data
    headers = view.headers
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("inline; ")
    assert "filename*=UTF-8''Form%201040.pdf" in headers["Content-Disposition"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Security-Policy"].startswith("sandbox;")
    assert "default-src 'none'" in headers["Content-Security-Policy"]

    staff_view = await firm.staff.get(f"{manager(firm)}/{row.id}")
    assert staff_view.status == 200 and await staff_view.read() == data
    assert staff_view.headers["Content-Type"] == "application/pdf"
    odd = await firm.taxpayer.get(f"/portal/preparer-files/{nasty.id}")
    disposition = odd.headers["Content-Disposition"]
    assert odd.status == 200 and "\r" not in disposition and "\n" not in disposition
    shown = NASTY_NAME.replace("\u202e", "")  # no bidi override reaches a file name on disk
    assert f"filename*=UTF-8''{quote(shown, safe='')}" in disposition
    assert 'filename="Form 8879 _final__ x.pdf"' in disposition

    sent = await ActivityEntry.filter(action="documents_sent").get()
    assert sent.actor.startswith("staff:") and sent.address == "127.0.0.1"
    assert sorted(sent.detail["file_ids"]) == sorted([row.id, nasty.id])
    views = await ActivityEntry.filter(action="file_read", actor__startswith="taxpayer:")
    assert {(e.detail["file_id"], e.address) for e in views} == {
        (row.id, "127.0.0.1"),
        (nasty.id, "127.0.0.1"),
    }


async def test_one_email_per_send_with_a_link_and_no_secret(firm: Firm) -> None:
    before = len(list(outbox(firm.taxpayer, "email").glob("*.eml")))
    await add_and_send(firm, "Form 8879.pdf", pdf())
    emails = sorted(outbox(firm.taxpayer, "email").glob("*.eml"))
    assert len(emails) == before + 1
    message = newest_email(firm.taxpayer)
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "New documents from your preparer"
    assert message["To"] == "sherry@example.com"
    assert "1 document in your secure portal" in text and "signature is needed" in text
    assert "http://portal.test/portal/preparer-files" in text
    assert not re.search(r"\b\d{6}\b", text) and "400-12" not in text and "/invite/" not in text


async def test_a_spanish_taxpayer_who_chose_text_gets_a_spanish_text(
    staff_client: TestClient, client_for: Any
) -> None:
    firm = await firm_with_taxpayer(staff_client, client_for, language="es")
    page = await (await firm.taxpayer.get("/portal/preparer-files")).text()
    assert "Archivos de mi preparador" in page and "Avísenme" in page
    await add_and_send(firm, "Formulario 1040.pdf", pdf())  # the default: by email
    message = newest_email(firm.taxpayer)
    assert message["Subject"] == "Nuevos documentos de su preparador"
    body = message.get_body(("plain",)).get_content()
    assert body.startswith("Hola, Sherry:") and "1 documento a su portal seguro" in body
    assert "Algunos necesitan su firma." in body and "/portal/preparer-files" in body
    # the choice is a form like every other: no CSRF token, no change
    refused = await firm.taxpayer.post("/portal/preparer-files/notify", data={"channel": "sms"})
    assert refused.status == 403
    token = await form_token(firm.taxpayer, "/portal/preparer-files")
    chose = await firm.taxpayer.post(
        "/portal/preparer-files/notify",
        data={"csrf_token": token, "channel": "sms"},
        allow_redirects=False,
    )
    assert chose.status == 303
    bad = await firm.taxpayer.post(
        "/portal/preparer-files/notify", data={"csrf_token": token, "channel": "pigeon"}
    )
    assert bad.status == 400 and "Elija" in await bad.text()
    texts_before = len(list(outbox(firm.taxpayer, "sms").glob("*.json")))
    await add_and_send(firm, "Formulario 8879.pdf", pdf())
    assert len(list(outbox(firm.taxpayer, "sms").glob("*.json"))) == texts_before + 1
    sms = json.loads(sorted(outbox(firm.taxpayer, "sms").glob("*.json"))[-1].read_text())
    assert sms["to"] == "+17065550197"
    assert "documento nuevo" in sms["text"] and "/portal/preparer-files" in sms["text"]
    notified = await ActivityEntry.filter(action="documents_notified").order_by("-id").first()
    assert notified is not None
    assert notified.detail["channel"] == "sms" and notified.detail["language"] == "es"
    listing = await (await firm.taxpayer.get("/portal/preparer-files")).text()
    assert "Formulario 8879.pdf" in listing and "Fecha de envío" in listing


async def test_text_falls_back_to_email_when_the_return_has_no_mobile_phone(firm: Firm) -> None:
    token = await form_token(firm.taxpayer, "/portal/preparer-files")
    await firm.taxpayer.post(
        "/portal/preparer-files/notify", data={"csrf_token": token, "channel": "sms"}
    )
    await TaxReturn.filter(id=firm.return_id).update(mobile_phone="")
    await add_and_send(firm, "Form 1040.pdf", pdf())
    notified = await ActivityEntry.filter(action="documents_notified").get()
    assert notified.detail["channel"] == "email"


async def test_taxpayer_b_gets_404_for_a_document_of_taxpayer_a(
    firm: Firm, client_for: Any
) -> None:
    row = await add_and_send(firm, "Form 1040.pdf", pdf())
    b = await client_for(firm.staff.app)
    link = await invited(
        b,
        ssn="400-12-8888",
        first_name="Bob",
        last_name="Baker",
        primary_email="bob@example.com",
        mobile_phone="7065550188",
    )
    response = await register(
        b, link, username="bob", last_name="Baker", ssn_last4="8888", email="bob@example.com"
    )
    assert response.status == 303
    await send_code(b, "email")
    await enter_code(b, code_in(newest_email(b).get_body(("plain",)).get_content()))
    assert (await b.get("/portal/")).status == 200
    assert (await b.get(f"/portal/preparer-files/{row.id}")).status == 404
    assert (await b.get("/portal/preparer-files/999999")).status == 404
    listing = await (await b.get("/portal/preparer-files")).text()
    assert (
        "Form 1040.pdf" not in listing and "0 Files Sent" in await (await b.get("/portal/")).text()
    )
    assert (await b.get(f"/staff/returns/{firm.return_id}/documents/{row.id}")).status in (
        200,
        303,
    )  # the console sends a taxpayer to the staff sign-in, never the file
    # A's document: denied against A's portal (its real one); a missing id: against Bob's own
    denied = await ActivityEntry.filter(action="file_access_denied").order_by("id")
    bob = await Portal.get(tax_return__last_name="Baker")
    assert [(e.subject, e.detail["file_id"]) for e in denied] == [
        (f"portal:{firm.portal_id}", row.id),
        (f"portal:{bob.id}", 999999),
    ]
    assert {e.actor for e in denied} == {denied[0].actor} and denied[0].actor.startswith(
        "taxpayer:"
    )
    # signed out, the taxpayer's View is a sign-in page, not the file
    other = await client_for(firm.staff.app)
    signed_out = await other.get(f"/portal/preparer-files/{row.id}", allow_redirects=False)
    assert signed_out.status == 303 and "/portal/login" in signed_out.headers["Location"]
    assert newest_sms_text  # imported for the journey helpers' side effects only


async def test_the_console_refuses_what_is_not_a_readable_pdf(firm: Firm) -> None:
    response = await upload(
        firm, ("setup.pdf", EXE), ("Form 8879.pdf", encrypted_pdf()), ("Form 1040.pdf", pdf())
    )
    page = await response.text()
    assert response.status == 400
    assert "setup.pdf</bdi></strong>: This file is not a PDF" in page
    assert "Form 8879.pdf</bdi></strong>: This PDF is encrypted" in page
    assert "Added: <bdi>Form 1040.pdf</bdi>." in page
    assert [d.file_name for d in await PreparerDocument.all()] == ["Form 1040.pdf"]
    assert len(firm.stored()) == 1


async def test_spouse_box_only_on_joint_returns_and_refused_otherwise(firm: Firm) -> None:
    assert (await upload(firm, ("Form 8879.pdf", pdf()))).status == 303
    row = await PreparerDocument.get(file_name="Form 8879.pdf")
    response = await send(firm, [("send", str(row.id)), ("spouse_signs", str(row.id))])
    assert response.status == 400 and "not joint" in await response.text()
    await TaxReturn.filter(id=firm.return_id).update(spouse_first_name="Carl")
    page = await (await firm.staff.get(manager(firm))).text()
    assert "Spouse signs" in page and "joint with Carl" in page
    response = await send(firm, [("send", str(row.id)), ("spouse_signs", str(row.id))])
    assert response.status == 303
    page = await (await firm.staff.get(manager(firm))).text()
    assert "Spouse: waiting for signature" in page


async def test_remove_an_unsent_document_from_the_console(firm: Firm) -> None:
    assert (await upload(firm, ("draft.pdf", pdf()))).status == 303
    row = await PreparerDocument.get(file_name="draft.pdf")
    token = await csrf_from(firm.staff, manager(firm))
    response = await firm.staff.post(
        f"{manager(firm)}/{row.id}/delete", data={"csrf_token": token}, allow_redirects=False
    )
    assert response.status == 303
    assert firm.stored() == []
    assert "No documents yet" in await (await firm.staff.get(manager(firm))).text()
    assert (await firm.staff.get(f"/staff/returns/{firm.return_id + 50}/documents")).status == 404


async def test_lists_write_no_activity_views_do(firm: Firm) -> None:
    """Showing a list hands out names only and is not logged; reading the content is."""
    row = await add_and_send(firm, "Form 1040.pdf", pdf(1))
    mine = ActivityEntry.filter(actor__startswith="taxpayer:")
    before = await mine.count()
    for path in ("/portal/", "/portal/files", "/portal/preparer-files"):
        assert (await firm.taxpayer.get(path)).status == 200
    assert await mine.count() == before

    assert (await firm.taxpayer.get(f"/portal/preparer-files/{row.id}")).status == 200

    read = await mine.order_by("id").offset(before).values_list("action", "subject")
    assert read == [("file_read", f"portal:{firm.portal_id}")]


async def test_portal_pages_speak_the_returns_language_as_it_is_now(firm: Firm) -> None:
    """No switch and no account choice: the return's language, read again on each request."""
    await TaxpayerAccount.filter(portal_id=firm.portal_id).update(language="")
    firm.taxpayer.session.cookie_jar.clear(lambda cookie: cookie.key == "tp_lang")
    headers = {"Accept-Language": "en-US"}
    for language in ("es", "en", "es"):
        await TaxReturn.filter(id=firm.return_id).update(language=language)
        for path in ("/portal/", "/portal/preparer-files"):
            page = await (await firm.taxpayer.get(path, headers=headers)).text()
            assert f'<html lang="{language}">' in page
            assert "Núñez" in page  # the frame shows whose portal this is
