"""What one signing pass hands the signer: every mark so far, the certificate, the history.

Each pass seals the document **as sent** with the marks of every request already signed
plus the one being signed now, so the last pass's file holds them all. The earlier
signers' marks come from what their signing stored (the exact image they drew, when,
from where, how their identity was checked), never from what is on file today: a
signature redrawn since applies only to documents signed afterwards. Each mark carries
the place the preparer chose for that signer when sending (its own request's box; None
for the automatic place), so every pass draws a signature where the earlier one did.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from taxportal.context import Core
from taxportal.contracts import (
    CertificateEntry,
    CertificateEvent,
    PlacementBox,
    SignatureMark,
    SigningTask,
)
from taxportal.models import (
    PreparerDocument,
    SignatureImage,
    SignatureRequest,
    SigningEvent,
    TaxpayerAccount,
    TaxReturn,
)
from taxportal.services.documents.preparer import chosen_box
from taxportal.services.returns.signing_facts import NoSuchSigner, facts_for
from taxportal.services.signing import records, signer_codes
from taxportal.services.signing.kinds import Kind

# the signing record's words as the certificate prints them (kinds not listed are left out)
CERTIFICATE_WORDS = {
    Kind.SENT: "sent",
    Kind.OPENED: "opened",
    Kind.CONSENT_ACCEPTED: "consent to sign electronically",
    Kind.IDENTITY_PASSED: "identity verified",
    Kind.VIEWED: "viewed",
    Kind.SIGNED: "signed",
    Kind.COMPLETED: "completed",
}


@dataclass(frozen=True)
class NowSigning:
    """The signer pressing Sign now: what their mark and certificate line say."""

    role: str
    image: SignatureImage
    signed_at: dt.datetime
    ip: str
    user_agent: str
    identity_method: str


def signer_name(tax_return: TaxReturn, role: str) -> str:
    """The name printed beside the signer's mark and on the certificate."""
    if role == "spouse":
        parts = (tax_return.spouse_first_name, tax_return.spouse_last_name)
    else:
        parts = (tax_return.first_name, tax_return.last_name)
    return " ".join(p.strip() for p in parts if p.strip())


async def task_for(
    core: Core,
    document: PreparerDocument,
    tax_return: TaxReturn,
    portal_id: int,
    pdf: bytes,
    now: NowSigning,
) -> SigningTask:
    """The task of this pass: the document as sent, the signed requests' marks and this one."""
    requests = await SignatureRequest.filter(document_id=document.id).order_by("signed_at", "id")
    earlier = [r for r in requests if r.status == "signed"]
    # where the preparer chose to put each signature (one request per signer and document)
    boxes = {r.signer: chosen_box(r) for r in requests}
    images = {
        i.id: i
        for i in await SignatureImage.filter(id__in=[r.image_id for r in earlier if r.image_id])
    }
    account = await TaxpayerAccount.get_or_none(portal_id=portal_id)
    marks: list[SignatureMark] = []
    entries: list[CertificateEntry] = []
    for request in earlier:
        image = images.get(request.image_id or 0)
        if image is None or request.signed_at is None:
            continue  # signed before this record existed: nothing to draw again
        signed = NowSigning(
            request.signer,
            image,
            request.signed_at,
            request.ip,
            request.user_agent,
            request.identity_method,
        )
        marks.append(_mark(tax_return, signed, chosen_box(request)))
        entries.append(_entry(core, tax_return, account, document, signed))
    marks.append(_mark(tax_return, now, boxes.get(now.role)))
    entries.append(_entry(core, tax_return, account, document, now))
    return SigningTask(
        document_name=document.file_name,
        pdf=pdf,
        marks=marks,
        certificate=entries,
        sha256_as_sent=hashlib.sha256(pdf).hexdigest(),
        document_id=str(document.id),
        events=[*await _history(document.id), CertificateEvent(now.signed_at, "signed", now.role)],
    )


def _mark(tax_return: TaxReturn, signing: NowSigning, box: PlacementBox | None) -> SignatureMark:
    return SignatureMark(
        role=signing.role,  # type: ignore[arg-type]
        name=signer_name(tax_return, signing.role),
        png=bytes(signing.image.png),
        signed_at=signing.signed_at,
        box=box,
    )


def _entry(
    core: Core,
    tax_return: TaxReturn,
    account: TaxpayerAccount | None,
    document: PreparerDocument,
    signing: NowSigning,
) -> CertificateEntry:
    return CertificateEntry(
        role=signing.role,  # type: ignore[arg-type]
        name=signer_name(tax_return, signing.role),
        masked_contact=_masked_contact(core, tax_return, account, signing.role),
        viewed_at=document.viewed_at,
        signed_at=signing.signed_at,
        ip=signing.ip,
        user_agent=signing.user_agent,
        identity_method=signing.identity_method or "not recorded",
        identity_result="passed",
    )


def _masked_contact(
    core: Core, tax_return: TaxReturn, account: TaxpayerAccount | None, role: str
) -> str:
    try:
        facts = facts_for(core, tax_return, role)  # type: ignore[arg-type]
    except (NoSuchSigner, ValueError):
        return ""
    return signer_codes.masked(signer_codes.signer_contact(facts, account))


async def _history(document_id: int) -> list[CertificateEvent]:
    """The document's record so far, in the certificate's words."""
    events: list[SigningEvent] = await records.events_of(document_id)
    return [
        CertificateEvent(e.at, CERTIFICATE_WORDS[Kind(e.kind)], e.role)
        for e in events
        if e.kind in CERTIFICATE_WORDS
    ]
