"""The preparer's signed PDFs: the newest sealed copy of a document, or an earlier one.

Every signing pass keeps its copy (``signed_copy``); the newest is the complete one once
every signer has signed. A download is checked like any document's (``documents.access``,
action ``download``, against the document's real return and portal, logged), and when its
bytes start to be read (not for a HEAD) it is an activity entry and a ``downloaded`` event
on the document's signing record.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from taxportal.context import Core
from taxportal.limits import MAX_ID
from taxportal.models import PreparerDocument, SignedCopy
from taxportal.services import activity
from taxportal.services.documents.access import Denied, Principal, check, portal_id_of
from taxportal.services.signing import records
from taxportal.services.signing.kinds import Kind, Role


class NotFound(LookupError):
    """No such document or copy, or not this principal's: a 404."""


@dataclass(frozen=True)
class Download:
    """A copy to hand out: its row, the name to save it under, its bytes (streamed)."""

    copy: SignedCopy
    file_name: str
    chunks: AsyncIterator[bytes]


def download_name(file_name: str, copy: SignedCopy) -> str:
    """ "Form 8879 (signed).pdf" for the complete copy, "Form 8879 (signed by taxpayer).pdf"
    for an earlier pass."""
    stem = file_name[:-4] if file_name.lower().endswith(".pdf") else file_name
    who = "signed" if copy.complete else f"signed by {copy.signers.replace('+', ' and ')}"
    return f"{stem} ({who}).pdf"


async def open_copy(
    core: Core,
    principal: Principal,
    return_id: int,
    document_id: int,
    copy_id: int | None = None,
    *,
    user_agent: str = "",
) -> Download:
    """The newest sealed copy of ``document_id`` (or the copy ``copy_id`` of it), checked for
    ``download``; ``NotFound`` when there is none or it is not the principal's."""
    document = None
    if 1 <= document_id <= MAX_ID:
        document = await PreparerDocument.get_or_none(id=document_id, deleted_at__isnull=True)
    copy = None
    if document is not None:
        copies = SignedCopy.filter(document_id=document.id)
        if copy_id is not None:
            copies = copies.filter(id=copy_id)
        copy = await copies.order_by("-id").first()
    real_return: int | None = document.tax_return_id if document else None  # type: ignore[attr-defined]
    portal_id = await portal_id_of(real_return) if real_return is not None else None
    try:
        await check(
            principal,
            "download",
            "document",
            portal_id=portal_id if document is not None else principal.portal_id,
            file_id=document_id,
            return_id=real_return if real_return is not None else return_id,
            found=copy is not None and real_return == return_id,
        )
    except Denied:
        raise NotFound(document_id) from None
    if core.plugins.storage is None:
        raise NotFound(document_id)
    assert document is not None and copy is not None  # check raised otherwise
    chunks = core.plugins.storage.get(copy.storage_key)
    return Download(
        copy,
        download_name(document.file_name, copy),
        _recorded_when_read(principal, portal_id, copy, chunks, user_agent),
    )


async def _recorded_when_read(
    principal: Principal,
    portal_id: int | None,
    copy: SignedCopy,
    chunks: AsyncIterator[bytes],
    user_agent: str,
) -> AsyncIterator[bytes]:
    """The download is recorded when its bytes start to be read: a HEAD records nothing."""
    document_id: int = copy.document_id  # type: ignore[attr-defined]
    await records.append(
        document_id,
        Kind.DOWNLOADED,
        role=Role.PREPARER if principal.is_staff else Role.TAXPAYER,
        actor=principal.actor,
        ip=principal.address,
        user_agent=user_agent,
        details={"request_id": copy.request_id, "sha256_after": copy.sha256_after},
    )
    await activity.record(
        "signed_copy_downloaded",
        actor=principal.actor,
        subject=f"portal:{portal_id}",
        address=principal.address,
        file_id=document_id,
        copy_id=copy.id,
        complete=copy.complete,
    )
    async for chunk in chunks:
        yield chunk
