"""A document's signing evidence for the preparer: its record, the check of its chain, and
every sealed copy (the console's record page).

Read through the documents access check (action ``read``, against the document's real
return and portal, logged): the record holds addresses and browsers.
"""

from __future__ import annotations

from dataclasses import dataclass

from taxportal.models import PreparerDocument, SignatureRequest, SignedCopy, SigningEvent, TaxReturn
from taxportal.services.documents.access import Principal
from taxportal.services.documents.preparer import checked_document
from taxportal.services.signing import records
from taxportal.services.signing.verification import VerifyReport


@dataclass(frozen=True)
class Evidence:
    tax_return: TaxReturn
    document: PreparerDocument
    events: list[SigningEvent]  # in chain order
    report: VerifyReport  # ``verify`` of this document's chain
    copies: list[SignedCopy]  # newest first
    requests: list[SignatureRequest]

    @property
    def signer_of_request(self) -> dict[int, str]:
        """request id -> its signer, to say whose signature an event is about."""
        return {request.id: request.signer for request in self.requests}

    @property
    def chain_words(self) -> str:
        """ "Chain intact (N events)" or the first broken link."""
        if self.report.broken:
            return f"Chain broken: {self.report.broken[0]}"
        if not self.report.events:
            return "No events recorded yet"
        events = self.report.events
        return f"Chain intact ({events} event{'' if events == 1 else 's'})"


async def evidence_of(principal: Principal, return_id: int, document_id: int) -> Evidence:
    """The document's record, its check and its copies; ``NotFound`` or ``Denied``."""
    tax_return, _, document = await checked_document(principal, "read", return_id, document_id)
    return Evidence(
        tax_return,
        document,
        await records.events_of(document.id),
        await records.verify(document.id),
        await SignedCopy.filter(document_id=document.id).order_by("-id"),
        await SignatureRequest.filter(document_id=document.id).order_by("id"),
    )
