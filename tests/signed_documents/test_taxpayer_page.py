"""Files From My Preparer: a signed document offers its signed copy, and a signed document
that a new version superseded stays listed with it (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import re

from taxportal.models import ActivityEntry, SignedCopy
from taxportal.services.documents import download
from taxportal.services.documents.access import Principal
from taxportal.services.signing import records
from tests.signed_documents.conftest import Statements, ready_in, signs
from tests.signing_pdf.documents import form_8879, plain_document
from tests.signing_step.conftest import ready_portal, ready_to_sign, send, view

PAGE = "/portal/preparer-files"


def row_of(html: str, document_id: int) -> str:
    found = re.search(rf'<tr id="doc-{document_id}">(.*?)</tr>', html, re.S)
    assert found is not None, f"document {document_id} is not listed"
    return found.group(1)


async def test_the_taxpayer_downloads_the_signed_copy(database, signing_client):
    r = await ready_portal(await signing_client())
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    await ready_to_sign(r, "taxpayer", form.id)
    unsigned = await send(r, "Notes.pdf", plain_document())
    html = await (await r.client.get(PAGE)).text()
    assert "Download signed copy" not in html  # nothing signed yet

    done = await signs(r, form.id, "taxpayer")
    html = await (await r.client.get(PAGE)).text()
    row = row_of(html, form.id)
    link = f'href="{PAGE}/{form.id}/signed"'
    assert link in row and "Download signed copy" in row and "Signed!" in row
    assert "Download signed copy" not in row_of(html, unsigned.id)
    response = await r.client.get(f"{PAGE}/{form.id}/signed")
    assert response.status == 200 and response.content_type == "application/pdf"
    pdf = await response.read()
    copy = await SignedCopy.get(id=done.copy_id)
    assert hashlib.sha256(pdf).hexdigest() == copy.sha256_after
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="Form 8879 (signed).pdf"; '
        "filename*=UTF-8''Form%208879%20%28signed%29.pdf"
    )
    [event] = [e for e in await records.events_of(form.id) if e.kind == "downloaded"]
    assert (event.role, event.actor) == ("taxpayer", r.principal.actor)
    assert event.details == {"copy_id": copy.id, "sha256_after": copy.sha256_after}
    assert await ActivityEntry.filter(action="file_download", actor=r.principal.actor).exists()
    # nothing signed on it: no copy to download
    assert (await r.client.get(f"{PAGE}/{unsigned.id}/signed")).status == 404


async def test_a_signed_document_replaced_by_a_new_version_stays(database, signing_client):
    r = await ready_portal(await signing_client())
    signed_old = await send(r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    unsigned_old = await send(r, "Return.pdf", plain_document(), "taxpayer")
    await ready_to_sign(r, "taxpayer", signed_old.id)
    done = await signs(r, signed_old.id, "taxpayer")
    signed_new = await send(r, "Form 8879.pdf", form_8879(1), "taxpayer", "spouse")
    unsigned_new = await send(r, "Return.pdf", plain_document(3), "taxpayer")

    html = await (await r.client.get(PAGE)).text()
    old_row = row_of(html, signed_old.id)
    assert "Replaced by a newer version" in old_row
    assert f'href="{PAGE}/{signed_old.id}/signed"' in old_row  # its signed copy
    assert f'href="{PAGE}/{signed_old.id}"' not in old_row  # no View of the old version
    assert "Signed!" in old_row and "Replaced before signing" in old_row  # the spouse's
    assert f'id="doc-{unsigned_old.id}"' not in html  # an unsigned old version: hidden
    for current in (signed_new, unsigned_new):
        assert "Replaced" not in row_of(html, current.id)
    response = await r.client.get(f"{PAGE}/{signed_old.id}/signed")
    copy = await SignedCopy.get(id=done.copy_id)
    assert response.status == 200
    assert hashlib.sha256(await response.read()).hexdigest() == copy.sha256_after
    for gone in (f"{PAGE}/{unsigned_old.id}/signed", f"{PAGE}/{unsigned_old.id}"):
        assert (await r.client.get(gone)).status == 404
    assert (await r.client.get(f"{PAGE}/{signed_old.id}")).status == 404  # View stays hidden


async def test_in_spanish(database, signing_client):
    r = await ready_in(await signing_client(), language="es")
    form = await send(r, "Formulario 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", form.id)
    await signs(r, form.id, "taxpayer")
    await send(r, "Formulario 8879.pdf", form_8879(1), "taxpayer")
    html = await (await r.client.get(PAGE)).text()
    row = row_of(html, form.id)
    assert "Descargar copia firmada" in row and "Reemplazado por una versión más nueva" in row
    response = await r.client.get(f"{PAGE}/{form.id}/signed")
    assert "Formulario%208879%20%28firmado%29.pdf" in response.headers["Content-Disposition"]


async def test_another_portals_taxpayer_gets_nothing(database, signing_client):
    r = await ready_portal(await signing_client())
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", form.id)
    await signs(r, form.id, "taxpayer")
    stranger = Principal("taxpayer", 999, "198.51.100.7", portal_id=r.signers.portal_id + 1)
    for document_id in (form.id, form.id + 1, 2**31, 0):
        try:
            await download.signed_copy(r.core, stranger, document_id)
        except download.NotFound:
            pass
        else:
            raise AssertionError(f"document {document_id} was handed to another portal")
    denied = await ActivityEntry.filter(action="file_access_denied", actor="taxpayer:999")
    assert len(denied) == 4
    assert not [e for e in await records.events_of(form.id) if e.kind == "downloaded"]
    for path in (f"{PAGE}/2147483648/signed", f"{PAGE}/{form.id}/signed?x=%00"):
        assert 400 <= (await r.client.get(path)).status < 500


async def test_the_page_costs_the_same_statements_whatever_it_lists(
    database, signing_client, monkeypatch
):
    r = await ready_portal(await signing_client())
    first = await send(r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    await ready_to_sign(r, "taxpayer", first.id)
    await signs(r, first.id, "taxpayer")
    counter = Statements(monkeypatch)

    async def statements() -> int:
        assert (await r.client.get(PAGE)).status == 200  # the same state, warmed once
        counter.count = 0
        response = await r.client.get(PAGE)
        assert response.status == 200
        return counter.count

    one = await statements()
    assert one > 0
    for n in range(4):  # more documents: signed, replaced, pending, nothing asked
        document = await send(r, f"Schedule {n}.pdf", plain_document(), "taxpayer")
        await view(r, document.id)
        await signs(r, document.id, "taxpayer")
        await send(r, f"Schedule {n}.pdf", plain_document(3), "taxpayer")
        await send(r, f"Letter {n}.pdf", plain_document())
    assert await statements() == one
    html = await (await r.client.get(PAGE)).text()
    assert html.count("Download signed copy") == 5 and html.count("Replaced by a newer") == 4
