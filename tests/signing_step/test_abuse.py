"""What a careful attacker tries against the sign step, over HTTP (SQLite and PostgreSQL):
another portal's document on every signing route, ids out of range and NUL bytes, a voided
request, a drawing slipped into Sign, consent withdrawn and identity gone stale after the
drawing, and the taxpayer and the spouse pressing Sign at the same moment."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from taxportal.models import (
    IdentityCheck,
    Portal,
    PreparerDocument,
    SignatureImage,
    SignatureRequest,
    SignedCopy,
    StaffUser,
    TaxReturn,
)
from taxportal.services.accounts import staff as staff_service
from taxportal.services.documents import preparer
from taxportal.services.signing import consent, sign
from tests.signing_console.conftest import PREPARER_PASSWORD
from tests.signing_identity.conftest import PREPARER
from tests.signing_pdf.documents import form_8879
from tests.signing_step.conftest import chunks, ready_portal, ready_to_sign, send, view
from tests.support import csrf_from, sign_in

FILES = "/portal/preparer-files"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def signs(r, document_id: int, role: str) -> sign.Signed:
    return await sign.sign(
        r.core, r.principal, document_id, role, ip="203.0.113.9", user_agent="UA"
    )


async def press_sign(r, document_id: int, role: str = "taxpayer", **extra: Any) -> Any:
    path = f"{FILES}/{document_id}/sign/{role}"
    token = await csrf_from(r.client, FILES)
    return await r.client.post(path, data={"csrf_token": token, **extra}, allow_redirects=False)


def where(response: Any) -> str:
    return urlsplit(response.headers.get("Location", "")).path


async def another_portals_signed_document(r) -> tuple[int, int, PreparerDocument]:
    """A second return and portal of the firm, with a document sent to it for signing and
    a signed copy of it (its row and bytes): its return id, copy id and document."""
    other = await TaxReturn.create(tax_year=2025, last_name="Other", first_name="Ann")
    await Portal.create(tax_return=other)
    document = await preparer.add(r.core, r.staff, other.id, "Other 8879.pdf", chunks(form_8879()))
    await preparer.send(r.core, r.staff, other.id, [preparer.Pick(document.id, ("taxpayer",))])
    request = await SignatureRequest.get(document_id=document.id)
    key = f"s/{other.id}/{'a' * 32}"
    await r.core.plugins.storage.put(key, chunks(b"%PDF-1.7 the other portal's signed copy"))
    copy = await SignedCopy.create(
        document_id=document.id,
        request_id=request.id,
        storage_key=key,
        size=39,
        sha256_before="0" * 64,
        sha256_after="1" * 64,
        certificate_fingerprint="2" * 64,
        validation="intact valid trusted whole_file",
        signers="taxpayer",
        complete=True,
        created_at=dt.datetime.now(dt.UTC),
    )
    return other.id, copy.id, await PreparerDocument.get(id=document.id)


async def test_another_portals_document_is_not_found_on_every_signing_route(
    database, signing_client, client_for
):
    r = await ready_portal(await signing_client())
    own = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", own.id)
    other_return, other_copy, theirs = await another_portals_signed_document(r)
    # the taxpayer, signed in to their own portal, ready to sign their own document
    token = await csrf_from(r.client, FILES)
    for path in (
        f"{FILES}/{theirs.id}/sign/taxpayer",
        f"{FILES}/{theirs.id}/signed",
        f"{FILES}/{theirs.id}",
    ):
        assert (await r.client.get(path, allow_redirects=False)).status == 404, path
    response = await r.client.post(
        f"{FILES}/{theirs.id}/sign/taxpayer", data={"csrf_token": token}, allow_redirects=False
    )
    assert response.status == 404
    # the preparer's console and API, through this return's address
    staff = await client_for(r.client.app)
    await sign_in(staff, PREPARER, PREPARER_PASSWORD)
    console = f"/staff/returns/{r.return_id}/documents/{theirs.id}"
    for path in (f"{console}/signed", f"{console}/signed/{other_copy}", f"{console}/record"):
        assert (await staff.get(path, allow_redirects=False)).status == 404, path
    staff_token = await csrf_from(staff, f"/staff/returns/{r.return_id}/documents")
    remind = await staff.post(
        f"{console}/remind", data={"csrf_token": staff_token, "role": "taxpayer"}
    )
    assert remind.status == 404
    own_doc = f"/staff/returns/{r.return_id}/documents/{own.id}"
    assert (await staff.get(f"{own_doc}/signed/{other_copy}")).status == 404
    api_token = await staff_service.issue_api_token(await StaffUser.get(id=r.staff.id), "t")
    bearer = {"Authorization": f"Bearer {api_token}"}
    api = f"/api/v1/returns/{r.return_id}/documents/{theirs.id}"
    for path in (f"{api}/signed", f"{api}/signed/{other_copy}", f"{api}/content"):
        assert (await r.client.get(path, headers=bearer)).status == 404, path
    # the firm's own address for it still works: the refusals were about the address
    assert (await staff.get(f"/staff/returns/{other_return}/documents/{theirs.id}/record")).ok
    # nothing changed on the other portal's side
    assert (await SignatureRequest.get(document_id=theirs.id)).status == "pending"
    assert await SignedCopy.filter(document_id=theirs.id).count() == 1


async def test_ids_out_of_range_and_nul_bytes_are_refused_plainly(database, signing_client):
    r = await ready_portal(await signing_client())
    document = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", document.id)
    token = await csrf_from(r.client, FILES)
    sign_path = f"{FILES}/{document.id}/sign/taxpayer"
    for method, path in (
        *(
            (method, f"{FILES}/{doc}/sign/taxpayer")
            for doc in ("0", "2147483648", "99999999999999999999999999")
            for method in ("GET", "POST")
        ),
        ("GET", f"{FILES}/2147483648/signed"),
        ("GET", "/portal/signature/image/2147483648"),
    ):
        response = await r.client.request(
            method, path, data={"csrf_token": token}, allow_redirects=False
        )
        assert response.status == 404, (method, path, response.status)
    for path in (  # a NUL anywhere in the path: refused before routing
        f"{FILES}/{document.id}%00/sign/taxpayer",
        f"{FILES}/{document.id}/sign/taxpayer%00",
        f"{FILES}/{document.id}/sign/%00",
    ):
        for method in ("GET", "POST"):
            response = await r.client.request(
                method, path, data={"csrf_token": token}, allow_redirects=False
            )
            assert response.status in (400, 404), (method, path, response.status)
    for query in ("?x=%00", "?next=%00", "?role=taxpayer%00"):
        response = await r.client.get(sign_path + query, allow_redirects=False)
        assert 400 <= response.status < 500 or response.status == 200, (query, response.status)
    for page in (
        "/portal/signing/consent",
        "/portal/signing/identity",
        "/portal/signature/taxpayer",
    ):
        for query in ("?role=tax%00payer&next=/portal/", "?role=taxpayer&next=/portal/%00"):
            response = await r.client.get(page + query, allow_redirects=False)
            assert response.status < 500, (page, query, response.status)
            assert "%00" not in response.headers.get("Location", ""), (page, query)
    # a NUL in the Sign form itself
    response = await r.client.post(
        sign_path, data={"csrf_token": token, "x": "\x00"}, allow_redirects=False
    )
    assert response.status in (303, 400), response.status
    assert await SignedCopy.filter(document_id=document.id).count() <= 1


async def test_a_voided_request_cannot_be_signed(database, signing_client):
    r = await ready_portal(await signing_client())
    old = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", old.id)
    newer = await send(r, "Form 8879.pdf", form_8879(return_pages=1), "taxpayer")
    assert (await SignatureRequest.get(document_id=old.id)).status == "voided"
    page = await r.client.get(f"{FILES}/{old.id}/sign/taxpayer", allow_redirects=False)
    assert page.status == 409
    for _ in range(2):  # and again: a replay changes nothing either
        assert (await press_sign(r, old.id)).status == 409
    assert not await SignedCopy.filter(document_id=old.id).exists()
    assert (await SignatureRequest.get(document_id=old.id)).status == "voided"
    # the new version is signed as usual
    await view(r, newer.id)
    assert where(await press_sign(r, newer.id)) == FILES
    assert await SignedCopy.filter(document_id=newer.id).count() == 1


async def test_a_drawing_slipped_into_sign_is_ignored_the_one_on_file_is_used(
    database, signing_client
):
    r = await ready_portal(await signing_client())
    document = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", document.id)
    on_file = await SignatureImage.get(portal_id=r.signers.portal_id, role="taxpayer")
    # a body over the form limit is refused before anything runs (its CSRF token unread)
    huge = await press_sign(r, document.id, image=PNG_MAGIC + b"\0" * (3 * 1024 * 1024))
    assert huge.status in (403, 413)
    assert not await SignedCopy.filter(document_id=document.id).exists()
    # a non-PNG "drawing" in the form: Sign never reads it
    response = await press_sign(r, document.id, image="GIF89a", signature="data:image/gif,x")
    assert response.status == 303 and where(response) == FILES
    request = await SignatureRequest.get(document_id=document.id)
    assert request.status == "signed" and request.image_id == on_file.id


async def test_consent_withdrawn_after_drawing_stops_sign(database, signing_client):
    r = await ready_portal(await signing_client())
    document = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", document.id)
    await consent.withdraw(r.core, r.principal, "taxpayer", "en", ip="127.0.0.1")
    response = await press_sign(r, document.id)
    assert response.status == 303 and where(response) == "/portal/signing/consent"
    page = await r.client.get(f"{FILES}/{document.id}/sign/taxpayer", allow_redirects=False)
    assert where(page) == "/portal/signing/consent"
    assert not await SignedCopy.filter(document_id=document.id).exists()
    assert (await SignatureRequest.get(document_id=document.id)).status == "pending"


async def test_an_identity_check_older_than_its_minutes_stops_sign(database, signing_client):
    r = await ready_portal(await signing_client(TAXPORTAL_SIGNING__IDENTITY_VALID_MINUTES="15"))
    document = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    await ready_to_sign(r, "taxpayer", document.id)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=15, seconds=5)
    await IdentityCheck.filter(portal_id=r.signers.portal_id, role="taxpayer").update(
        passed_at=long_ago
    )
    response = await press_sign(r, document.id)
    assert response.status == 303 and where(response) == "/portal/signing/identity"
    assert not await SignedCopy.filter(document_id=document.id).exists()
    # 14 minutes ago is still fresh enough
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14)
    await IdentityCheck.filter(portal_id=r.signers.portal_id, role="taxpayer").update(
        passed_at=recent
    )
    assert where(await press_sign(r, document.id)) == FILES


async def test_taxpayer_and_spouse_signing_at_once_both_end_signed(database, signing_client):
    r = await ready_portal(await signing_client())
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    await ready_to_sign(r, "taxpayer", form.id)
    await ready_to_sign(r, "spouse", form.id)
    pending = {"taxpayer", "spouse"}
    busy = 0
    for _ in range(20):  # each told "busy" presses Sign again, as the page asks
        roles = sorted(pending)
        outcomes = await asyncio.gather(
            *(signs(r, form.id, role) for role in roles), return_exceptions=True
        )
        for role, outcome in zip(roles, outcomes, strict=True):
            if isinstance(outcome, sign.Signed):
                pending.discard(role)
            else:
                assert isinstance(outcome, sign.Refused) and outcome.reason == "busy", outcome
                busy += 1
        if not pending:
            break
        await asyncio.sleep(0.05)
    assert not pending
    copies = await SignedCopy.filter(document_id=form.id).order_by("id")
    assert [c.signers for c in copies] == ["taxpayer", "taxpayer+spouse"] or [
        c.signers for c in copies
    ] == ["spouse", "taxpayer+spouse"]
    final = copies[-1]
    assert final.complete and not copies[0].complete
    pdf = b"".join([c async for c in r.core.plugins.storage.get(final.storage_key)])
    assert (await r.core.plugins.signer.validate(pdf)).passed
    requests = await SignatureRequest.filter(document_id=form.id)
    assert {q.status for q in requests} == {"signed"}
    assert all(q.image_id is not None and q.signed_at is not None for q in requests)
    assert (await PreparerDocument.get(id=form.id)).signing_key is None
