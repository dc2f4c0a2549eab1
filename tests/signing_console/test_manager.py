"""The Signed Document Manager's states, the signed PDF's download and the record page, over
HTTP in the console with the real PDF signer (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from taxportal.models import ActivityEntry, SignedCopy, SigningEvent
from taxportal.services.documents import preparer
from tests.signing_console.conftest import UA, Console, signs
from tests.signing_pdf.documents import form_8879, plain_document
from tests.signing_records.helpers import forge
from tests.signing_step.conftest import ready_to_sign, send


def state_cells(html: str) -> dict[str, str]:
    """File name -> the text of its State cell, tags and spaces squeezed."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        if len(cells) < 4:
            continue
        name = re.sub(r"<[^>]+>", "", cells[0]).strip()
        found[name] = " ".join(re.sub(r"<[^>]+>", " ", cells[3]).split())
    return found


async def progress(c: Console) -> dict[str, str]:
    _, rows = await preparer.documents_of_return(c.r.staff, c.r.return_id)
    return {row.document.file_name: row.progress for row in rows}


async def test_each_documents_state_in_words(database, console):
    c = await console()
    r = c.r
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    letter = await send(r, "Letter.pdf", plain_document(), "taxpayer")
    await preparer.add(r.core, r.staff, r.return_id, "Draft.pdf", _one(plain_document()))
    assert await progress(c) == {
        "Draft.pdf": "Not sent",
        "Letter.pdf": "Sent",
        "Form 8879.pdf": "Sent",
    }
    await ready_to_sign(r, "taxpayer", form.id)
    assert (await progress(c))["Form 8879.pdf"] == "Viewed"
    await signs(r, form.id, "taxpayer")
    assert (await progress(c))["Form 8879.pdf"] == "Signed by taxpayer"
    page = await (await c.staff.get(c.manager())).text()
    cells = state_cells(page)
    assert cells["Form 8879.pdf"].startswith("Signed by taxpayer Sent ")
    assert "Taxpayer: signed" in cells["Form 8879.pdf"]
    assert "Spouse: waiting for signature Remind" in cells["Form 8879.pdf"]
    assert cells["Draft.pdf"] == "Not sent"
    assert f'href="{c.document(form.id)}/signed"' in page  # the copy so far
    assert f'href="{c.document(letter.id)}/signed"' not in page  # nothing signed yet
    await ready_to_sign(r, "spouse", form.id)
    await signs(r, form.id, "spouse")
    assert (await progress(c))["Form 8879.pdf"] == "Complete"
    # a new version replaces the letter: its old row says so, the new one is sent
    await send(r, "LETTER.pdf", plain_document(pages=3), "taxpayer")
    words = await progress(c)
    assert words["Letter.pdf"] == "Replaced by a newer version"
    assert words["LETTER.pdf"] == "Sent"
    cells = state_cells(await (await c.staff.get(c.manager())).text())
    assert cells["Letter.pdf"].startswith("Replaced by a newer version")
    assert "Taxpayer: voided" in cells["Letter.pdf"] and "Remind" not in cells["Letter.pdf"]


async def test_the_preparer_downloads_the_newest_copy_and_earlier_ones(database, console):
    c = await console()
    r = c.r
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    url = f"{c.document(form.id)}/signed"
    assert (await c.staff.get(url)).status == 404  # nobody signed yet
    await ready_to_sign(r, "taxpayer", form.id)
    first = await signs(r, form.id, "taxpayer")
    # HEAD: the headers only, nothing recorded
    head = await c.staff.head(url, headers={"User-Agent": UA})
    assert head.status == 200 and head.headers["Content-Type"] == "application/pdf"
    assert not await SigningEvent.filter(document_id=form.id, kind="downloaded").exists()
    response = await c.staff.get(url, headers={"User-Agent": UA})
    assert response.status == 200
    assert "signed%20by%20taxpayer" in response.headers["Content-Disposition"]
    early = await response.read()
    assert early == await stored(c, first.copy_id)
    await ready_to_sign(r, "spouse", form.id)
    second = await signs(r, form.id, "spouse")
    response = await c.staff.get(url, headers={"User-Agent": UA})
    final = await response.read()
    assert final == await stored(c, second.copy_id) != early
    assert "Form%208879%20%28signed%29.pdf" in response.headers["Content-Disposition"]
    assert (await r.core.plugins.signer.validate(final)).passed
    # the earlier copy stays downloadable from the record page's link
    again = await c.staff.get(f"{c.document(form.id)}/signed/{first.copy_id}")
    assert again.status == 200 and await again.read() == early
    downloads = await SigningEvent.filter(document_id=form.id, kind="downloaded").order_by("seq")
    assert len(downloads) == 3
    assert downloads[0].role == "preparer" and downloads[0].user_agent == UA
    assert downloads[0].actor == f"staff:{r.staff.id}" and downloads[0].ip == "127.0.0.1"
    copy = await SignedCopy.get(id=second.copy_id)
    assert downloads[1].details == {"copy_id": copy.id, "sha256_after": copy.sha256_after}
    checked = await ActivityEntry.filter(action="file_download").count()
    assert checked == 4  # each download passed the access check, logged; the HEAD too
    from taxportal.services.signing import records

    assert (await records.verify(form.id)).intact


async def test_a_copy_of_another_document_or_return_is_not_found(database, console):
    c = await console()
    r = c.r
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    other = await send(r, "Other.pdf", plain_document(), "taxpayer")
    await ready_to_sign(r, "taxpayer", form.id)
    done = await signs(r, form.id, "taxpayer")
    other_return = r.return_id + 1
    for url in (
        f"{c.document(other.id)}/signed/{done.copy_id}",  # a copy of another document
        f"/staff/returns/{other_return}/documents/{form.id}/signed",  # not this return's
        f"/staff/returns/{other_return}/documents/{form.id}/record",
        f"{c.manager()}/{form.id + 1000}/signed",
        f"{c.manager()}/{form.id + 1000}/record",
        f"{c.document(form.id)}/signed/99999999999",  # out of range: the ids middleware
        f"{c.document(form.id)}/signed/{done.copy_id + 1000}",
    ):
        response = await c.staff.get(url)
        assert response.status == 404, url
    denied = await ActivityEntry.filter(action="file_access_denied").count()
    assert denied >= 5
    # the taxpayer's session is no console session
    taxpayer = await r.client.get(f"{c.document(form.id)}/signed", allow_redirects=False)
    assert taxpayer.status in (302, 303) and "/staff/login" in taxpayer.headers["Location"]


async def test_the_record_page_shows_the_chain_its_check_and_the_copies(database, console):
    c = await console()
    r = c.r
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", form.id)
    done = await signs(r, form.id, "taxpayer")
    copy = await SignedCopy.get(id=done.copy_id)
    page = await c.staff.get(f"{c.document(form.id)}/record")
    assert page.status == 200
    html = await page.text()
    assert "Chain intact (7 events)" in html
    for words in (
        "Sent for signature",
        "Viewed the document",
        "Agreed to sign electronically",
        "Identity confirmed",
        "Signed",
        "Sealed with the firm",
        "Complete: every signer signed",
        "203.0.113.9",
        UA,
        copy.sha256_before,
        copy.sha256_after,
        copy.certificate_fingerprint,
        copy.validation,
        f"{c.document(form.id)}/signed/{copy.id}",
        "signing_method: <code>drawn on screen</code>",
    ):
        assert words in html, words
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", html)  # UTC times
    assert await ActivityEntry.filter(action="file_read").exists()  # the record was read
    # an edited event: the page names the first broken link
    await forge(
        database,
        f"UPDATE signing_event SET ip = '198.51.100.66' WHERE document_id = {form.id} AND seq = 4",  # noqa: S608
    )
    html = await (await c.staff.get(f"{c.document(form.id)}/record")).text()
    assert f"Chain broken: document {form.id}, seq 4: hash mismatch" in html
    # a document with no signature asked: no events, no copies, said so
    draft = await preparer.add(r.core, r.staff, r.return_id, "Draft.pdf", _one(plain_document()))
    html = await (await c.staff.get(f"{c.document(draft.id)}/record")).text()
    assert "No events" in html and "No sealed copy yet" in html


async def stored(c: Console, copy_id: int) -> bytes:
    copy = await SignedCopy.get(id=copy_id)
    return b"".join([chunk async for chunk in c.core.plugins.storage.get(copy.storage_key)])


async def _one(data: bytes):
    yield data
