"""The REST API lists each document's signing state and downloads documents and their signed
PDFs (SQLite and PostgreSQL), with the real PDF signer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from taxportal.models import ActivityEntry, SignedCopy, TaxReturn
from taxportal.services.signing import records
from taxportal.web.api import returns as api_module
from tests.api.schema_check import problems
from tests.signed_documents.conftest import api_of, sha256, signs
from tests.signing_pdf.documents import form_8879, plain_document
from tests.signing_step.conftest import ready_portal, ready_to_sign, send

SPEC: dict[str, Any] = json.loads(Path(api_module.OPENAPI).read_text())
LIST = "/api/v1/returns/{return_id}/documents"


def conforms(body: Any) -> None:
    documented = SPEC["paths"][LIST]["get"]["responses"]["200"]
    assert problems(body, documented["content"]["application/json"]["schema"], SPEC) == []


def item(body: dict[str, Any], document_id: int) -> dict[str, Any]:
    return next(d for d in body["items"] if d["id"] == document_id)


async def test_states_copies_and_downloads_of_a_joint_8879(database, signing_client):
    r = await ready_portal(await signing_client())
    api = await api_of(r)
    form = await send(r, "Form 8879 – Núñez.pdf", form_8879(), "taxpayer", "spouse")

    status, body = await api.json("GET", api.path())
    assert status == 200
    conforms(body)
    listed = item(body, form.id)
    assert listed["signature_requests"] == {
        "taxpayer": {"status": "pending", "signed_at": None, "voided_at": None, "box": None},
        "spouse": {"status": "pending", "signed_at": None, "voided_at": None, "box": None},
    }
    assert (listed["complete"], listed["signed_copies"], listed["kept_until"]) == (False, [], None)
    status, _, _ = await api.get(api.path(f"/{form.id}/signed"))
    assert status == 404  # nothing signed yet

    # the taxpayer signs: one copy, the spouse still pending
    await ready_to_sign(r, "taxpayer", form.id)
    first = await signs(r, form.id, "taxpayer")
    _, body = await api.json("GET", api.path())
    conforms(body)
    listed = item(body, form.id)
    assert listed["signature_requests"]["taxpayer"]["status"] == "signed"
    assert listed["signature_requests"]["taxpayer"]["signed_at"] is not None
    assert listed["signature_requests"]["spouse"]["status"] == "pending"
    assert listed["viewed_at"] is not None and listed["complete"] is False
    [copy] = listed["signed_copies"]
    assert copy["id"] == first.copy_id and copy["signers"] == ["taxpayer"]
    assert copy["validation"] == "intact valid trusted whole_file"
    assert copy["sha256_before"] == form.sha256 and not copy["complete"]
    # 3 years from the due date, or from the signing when that is later
    tax_year = (await TaxReturn.get(id=r.return_id)).tax_year
    start = max(dt.date(tax_year + 1, 4, 15), dt.datetime.now(dt.UTC).date())
    assert listed["kept_until"] == start.replace(year=start.year + 3).isoformat()

    # the spouse signs: the newest copy is complete and is what /signed hands out
    await ready_to_sign(r, "spouse", form.id)  # the spouse views it as the spouse
    second = await signs(r, form.id, "spouse")
    _, body = await api.json("GET", api.path())
    listed = item(body, form.id)
    assert listed["complete"] is True
    assert [c["id"] for c in listed["signed_copies"]] == [second.copy_id, first.copy_id]
    newest = listed["signed_copies"][0]
    assert newest["signers"] == ["taxpayer", "spouse"] and newest["complete"]

    status, headers, pdf = await api.get(api.path(f"/{form.id}/signed"))
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert sha256(pdf) == newest["sha256_after"] and len(pdf) == newest["size"]
    assert (await r.core.plugins.signer.validate(pdf)).passed
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''Form%208879%20%E2%80%93%20N%C3%BA%C3%B1ez%20%28signed%29.pdf" in (
        disposition
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    # the first pass's copy, by id; the document as sent
    status, _, older = await api.get(api.path(f"/{form.id}/signed/{first.copy_id}"))
    assert status == 200 and sha256(older) == listed["signed_copies"][1]["sha256_after"]
    status, headers, as_sent = await api.get(api.path(f"/{form.id}/content"))
    assert status == 200 and sha256(as_sent) == form.sha256
    assert "Form%208879%20%E2%80%93%20N%C3%BA%C3%B1ez.pdf" in headers["Content-Disposition"]

    # each download is in the chain (who, which copy) and in the activity log
    downloads = [e for e in await records.events_of(form.id) if e.kind == "downloaded"]
    assert [e.details for e in downloads] == [
        {"copy_id": second.copy_id, "sha256_after": newest["sha256_after"]},
        {"copy_id": first.copy_id, "sha256_after": listed["signed_copies"][1]["sha256_after"]},
        {"sha256_before": form.sha256},
    ]
    assert {(e.role, e.actor) for e in downloads} == {("preparer", f"api:{r.staff.id}")}
    assert (await records.verify(form.id)).intact
    logged = await ActivityEntry.filter(action="file_download", actor=f"api:{r.staff.id}")
    assert len(logged) == 3
    # a HEAD sends the headers and reads nothing: no event
    status, headers, _ = await api.get(api.path(f"/{form.id}/signed"), method="HEAD")
    assert status == 200 and headers["Content-Length"] == str(newest["size"])
    assert len([e for e in await records.events_of(form.id) if e.kind == "downloaded"]) == 3


async def test_a_superseded_signed_version_stays_downloadable(database, signing_client):
    r = await ready_portal(await signing_client())
    api = await api_of(r)
    old = await send(r, "Return.pdf", plain_document(), "taxpayer")
    await ready_to_sign(r, "taxpayer", old.id)
    signed = await signs(r, old.id, "taxpayer")
    newer = await send(r, "Return.pdf", plain_document(3), "taxpayer")
    _, body = await api.json("GET", api.path())
    conforms(body)
    listed = item(body, old.id)
    assert listed["state"] == "superseded" and listed["replaced_by"] == newer.id
    assert listed["signed_copies"][0]["id"] == signed.copy_id
    status, _, pdf = await api.get(api.path(f"/{old.id}/signed"))
    assert status == 200 and sha256(pdf) == listed["signed_copies"][0]["sha256_after"]
    assert item(body, newer.id)["signature_requests"]["taxpayer"]["status"] == "pending"


async def test_downloads_refused_as_not_found(database, signing_client):
    r = await ready_portal(await signing_client())
    api = await api_of(r)
    unsigned = await send(r, "Notes.pdf", plain_document())  # nothing asked: no record
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", form.id)
    done = await signs(r, form.id, "taxpayer")
    other = await TaxReturn.create(tax_year=2024, last_name="Other", ssn_digest="x" * 64)
    base = f"/api/v1/returns/{r.return_id}/documents"
    for path in (
        f"{base}/{unsigned.id}/signed",  # no signed copy
        f"{base}/{unsigned.id}/signed/{done.copy_id}",  # another document's copy
        f"{base}/{form.id}/signed/{done.copy_id + 1}",
        f"{base}/{form.id + 100}/content",
        f"/api/v1/returns/{other.id}/documents/{form.id}/content",  # not this return's
        f"/api/v1/returns/{other.id}/documents/{form.id}/signed",
        f"{base}/2147483648/content",  # out of range
        f"{base}/{form.id}/signed/99999999999999999999",
        f"/api/v1/returns/0/documents/{form.id}/signed",
    ):
        status, body = await api.json("GET", path)
        assert status == 404, (path, status, body)
        assert set(body) == {"error"}
    status, body = await api.json("GET", f"{base}/{form.id}/signed%00")
    assert 400 <= status < 500 and "error" in body
    status, body = await api.json("GET", f"{base}/{form.id}/content?x=%00")
    assert status == 400
    # without a token: 401, nothing handed out
    response = await r.client.get(f"{base}/{form.id}/signed")
    assert response.status == 401
    # refusals are logged as denials; the unsigned document downloads, with no chain
    assert await ActivityEntry.filter(action="file_access_denied", actor=f"api:{r.staff.id}")
    status, _, pdf = await api.get(f"{base}/{unsigned.id}/content")
    assert status == 200 and sha256(pdf) == unsigned.sha256
    assert await records.events_of(unsigned.id) == []
    assert await SignedCopy.filter(document_id=form.id).count() == 1
