"""The preparer-documents services on a real core, storage_local and both databases."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from taxportal.models import ActivityEntry, PreparerDocument, SignatureRequest, TaxReturn
from taxportal.services.documents import preparer as documents
from taxportal.services.documents import sent as sent_documents
from taxportal.services.documents.access import Denied, Principal
from tests.preparer_documents.conftest import Firm
from tests.preparer_documents.pdfs import (
    EXE,
    PNG,
    damaged_pdf,
    encrypted_pdf,
    pdf,
    truncated_pdf,
)

PREPARER = Principal("staff", 1, "198.51.100.4")


def owner(firm: Firm) -> Principal:
    return Principal("taxpayer", 1, "203.0.113.9", portal_id=firm.portal_id)


async def chunked(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def add(firm: Firm, name: str, data: bytes) -> PreparerDocument:
    return await documents.add(firm.core, PREPARER, firm.return_id, name, chunked(data))


async def read_all(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


async def test_add_send_and_the_taxpayer_sees_it(firm: Firm) -> None:
    data = pdf(3)
    row = await add(firm, "2025 Form 1040 – Núñez.pdf", data)
    assert (row.pages, row.size, row.sha256) == (3, len(data), hashlib.sha256(data).hexdigest())
    assert row.storage_key.startswith(f"d/{firm.return_id}/") and row.sent_at is None
    assert await sent_documents.sent_to(owner(firm), firm.portal_id) == []  # not sent yet

    result = await documents.send(
        firm.core, PREPARER, firm.return_id, [documents.Pick(row.id, ("taxpayer",))]
    )
    assert [d.id for d in result.sent] == [row.id] and result.notified_by == "email"
    seen = await sent_documents.sent_to(owner(firm), firm.portal_id)
    assert [(d.file_name, d.sent_at is not None) for d in seen] == [
        ("2025 Form 1040 – Núñez.pdf", True)
    ]
    assert await sent_documents.sent_count(owner(firm)) == 1
    request = await SignatureRequest.get(document_id=row.id)
    assert (request.signer, request.status) == ("taxpayer", "pending")
    opened, stream = await sent_documents.open_document(firm.core, owner(firm), row.id)
    assert opened.id == row.id
    assert await read_all(stream) == data
    assert (await PreparerDocument.get(id=row.id)).viewed_at is not None


@pytest.mark.parametrize(
    ("name", "data", "kind", "words"),
    [
        ("Form 8879.pdf", encrypted_pdf(), "encrypted", "encrypted or password-protected"),
        ("Return.pdf", truncated_pdf(), "broken", "incomplete"),
        ("Return.pdf", damaged_pdf(), "broken", "damaged"),
        ("photo.pdf", PNG, "not_pdf", "not a PDF"),
        ("setup.pdf", EXE, "not_pdf", "not a PDF"),
        ("empty.pdf", b"", "empty", "empty"),
    ],
)
async def test_what_is_not_a_readable_pdf_is_refused_and_nothing_stored(
    firm: Firm, name: str, data: bytes, kind: str, words: str
) -> None:
    with pytest.raises(documents.DocumentError) as refused:
        await add(firm, name, data)
    assert refused.value.kind == kind and words in refused.value.message
    assert firm.stored() == []
    assert await PreparerDocument.all().count() == 0
    entry = await ActivityEntry.filter(action="document_refused").get()
    assert entry.detail == {"reason": kind} and entry.actor == "staff:1"


async def test_a_file_over_the_cap_is_cut_off(firm: Firm, monkeypatch: Any) -> None:
    monkeypatch.setattr(documents, "MAX_BYTES", 2000)
    with pytest.raises(documents.DocumentError) as refused:
        await add(firm, "big.pdf", pdf(30))
    assert refused.value.kind == "too_large"
    assert firm.stored() == [] and await PreparerDocument.all().count() == 0


async def test_a_new_version_supersedes_the_old_and_voids_its_signature_requests(
    firm: Firm,
) -> None:
    await TaxReturn.filter(id=firm.return_id).update(spouse_first_name="Carl")
    old = await add(firm, "Form 8879.pdf", pdf(1))
    other = await add(firm, "Form 1040.pdf", pdf(2))
    await documents.send(
        firm.core,
        PREPARER,
        firm.return_id,
        [documents.Pick(old.id, ("taxpayer", "spouse")), documents.Pick(other.id)],
    )
    new = await add(firm, "FORM 8879.PDF", pdf(1, "v2"))
    result = await documents.send(
        firm.core, PREPARER, firm.return_id, [documents.Pick(new.id, ("taxpayer",))]
    )
    assert result.superseded == [old.id] and result.voided == 2
    old = await PreparerDocument.get(id=old.id)
    assert old.superseded_at is not None and old.replaced_by_id == new.id  # type: ignore[attr-defined]
    voided = await SignatureRequest.filter(document_id=old.id)
    assert {(r.status, r.voided_at is not None) for r in voided} == {("voided", True)}
    pending = await SignatureRequest.get(document_id=new.id)
    assert pending.status == "pending"
    seen = await sent_documents.sent_to(owner(firm), firm.portal_id)
    assert sorted(d.file_name for d in seen) == ["FORM 8879.PDF", "Form 1040.pdf"]
    with pytest.raises(sent_documents.NotFound):  # the old version is gone for the taxpayer
        await sent_documents.open_document(firm.core, owner(firm), old.id)
    _, rows = await documents.documents_of_return(PREPARER, firm.return_id)
    assert {r.document.id: r.state for r in rows} == {
        new.id: "sent",
        other.id: "sent",
        old.id: "superseded",
    }


async def test_a_spouse_signer_is_refused_on_a_return_that_is_not_joint(firm: Firm) -> None:
    row = await add(firm, "Form 8879.pdf", pdf())
    with pytest.raises(documents.DocumentError) as refused:
        await documents.send(
            firm.core, PREPARER, firm.return_id, [documents.Pick(row.id, ("taxpayer", "spouse"))]
        )
    assert refused.value.kind == "spouse"
    assert (await PreparerDocument.get(id=row.id)).sent_at is None
    assert await SignatureRequest.all().count() == 0


async def test_what_cannot_be_sent(firm: Firm) -> None:
    row = await add(firm, "Form 8879.pdf", pdf())
    with pytest.raises(documents.DocumentError):
        await documents.send(firm.core, PREPARER, firm.return_id, [])
    twin = await add(firm, "form 8879.pdf", pdf(2))
    with pytest.raises(documents.DocumentError) as same:
        await documents.send(
            firm.core, PREPARER, firm.return_id, [documents.Pick(row.id), documents.Pick(twin.id)]
        )
    assert same.value.kind == "same_name"
    await documents.send(firm.core, PREPARER, firm.return_id, [documents.Pick(row.id)])
    with pytest.raises(documents.DocumentError) as again:
        await documents.send(firm.core, PREPARER, firm.return_id, [documents.Pick(row.id)])
    assert again.value.kind == "already_sent"
    elsewhere = await TaxReturn.create(tax_year=2025, last_name="Other")
    with pytest.raises(documents.NotFound):  # a document of another return
        await documents.send(firm.core, PREPARER, elsewhere.id, [documents.Pick(twin.id)])
    lonely = await documents.add(firm.core, PREPARER, elsewhere.id, "a.pdf", chunked(pdf()))
    with pytest.raises(documents.DocumentError) as no_portal:
        await documents.send(firm.core, PREPARER, elsewhere.id, [documents.Pick(lonely.id)])
    assert no_portal.value.kind == "no_portal"


async def test_delete_an_unsent_document_but_never_a_sent_one(firm: Firm) -> None:
    row = await add(firm, "draft.pdf", pdf())
    kept = await add(firm, "Form 1040.pdf", pdf(2))
    await documents.send(firm.core, PREPARER, firm.return_id, [documents.Pick(kept.id)])
    assert len(firm.stored()) == 2
    await documents.delete(firm.core, PREPARER, firm.return_id, row.id)
    assert len(firm.stored()) == 1
    assert (await PreparerDocument.get(id=row.id)).deleted_at is not None
    with pytest.raises(documents.DocumentError):
        await documents.delete(firm.core, PREPARER, firm.return_id, kept.id)


async def test_a_taxpayer_may_only_read_their_own_sent_documents(firm: Firm) -> None:
    row = await add(firm, "Form 1040.pdf", pdf())
    taxpayer = owner(firm)
    with pytest.raises(sent_documents.NotFound):  # not sent yet: not theirs to see
        await sent_documents.open_document(firm.core, taxpayer, row.id)
    with pytest.raises(Denied):
        await documents.add(firm.core, taxpayer, firm.return_id, "x.pdf", chunked(pdf()))
    with pytest.raises(Denied):
        await documents.send(firm.core, taxpayer, firm.return_id, [documents.Pick(row.id)])
    with pytest.raises(Denied):
        await documents.delete(firm.core, taxpayer, firm.return_id, row.id)
    with pytest.raises(Denied):
        await documents.documents_of_return(taxpayer, firm.return_id)
    await documents.send(firm.core, PREPARER, firm.return_id, [documents.Pick(row.id)])
    stranger = Principal("taxpayer", 99, "192.0.2.7", portal_id=firm.portal_id + 1000)
    with pytest.raises(sent_documents.NotFound):
        await sent_documents.open_document(firm.core, stranger, row.id)
    with pytest.raises(Denied):
        await sent_documents.sent_to(stranger, firm.portal_id)
    denied = await ActivityEntry.filter(action="file_access_denied", actor="taxpayer:99")
    assert {e.address for e in denied} == {"192.0.2.7"} and len(denied) == 2
    assert await PreparerDocument.filter(deleted_at__isnull=False).count() == 0


async def test_sending_and_the_first_view_are_events(firm: Firm) -> None:
    from taxportal import hookimpl
    from taxportal.events import DocumentsSent, DocumentViewed, listens_to

    heard: list[Any] = []

    class Listener:
        @hookimpl
        @listens_to(DocumentsSent, DocumentViewed)
        def taxportal_event(self, event: Any) -> None:
            heard.append(event)

    firm.core.plugins.pm.register(Listener())
    row = await add(firm, "1040.pdf", pdf(1))
    await documents.send(firm.core, PREPARER, firm.return_id, [documents.Pick(row.id, ())])
    for _ in range(2):
        _opened, stream = await sent_documents.open_document(firm.core, owner(firm), row.id)
        await read_all(stream)
    assert heard == [
        DocumentsSent(firm.portal_id, (row.id,)),
        DocumentViewed(firm.portal_id, row.id),  # the first View only
    ]
