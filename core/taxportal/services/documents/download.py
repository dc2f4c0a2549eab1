"""Downloading a preparer's document: as sent, or a signed copy (the newest, or one by id).

Staff (console, API) may download any document of a return that was not deleted, and any
of its signed copies. A taxpayer may download the signed copies of the documents sent to
their own portal, a superseded one's too: the signed old version stays theirs. Every
download passes the access check (action ``download``, logged with actor and address)
against the document's REAL return and portal; a document or copy that is not there, or
not where the URL puts it, is a logged denial and ``NotFound``. On a document with a
signing record, a ``downloaded`` event is appended to its chain once the first bytes have
been read from the storage: a HEAD, or a storage that is down, appends nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from taxportal.context import Core
from taxportal.limits import MAX_ID
from taxportal.models import PreparerDocument, SignatureRequest, SignedCopy
from taxportal.services.documents.access import Denied, Principal, check, portal_id_of
from taxportal.services.signing import records
from taxportal.services.signing.kinds import Kind, Role


class NotFound(LookupError):
    """No such document or copy, or not this principal's: a 404."""


class Unavailable(Exception):
    """No storage plugin is enabled: nothing can be read."""


@dataclass(frozen=True)
class Download:
    """What a handler streams: the bytes, and what names and checks them."""

    document_id: int
    file_name: str  # the document's, as given (the handler makes it safe)
    size: int
    sha256: str  # of these bytes: the document as sent, or the sealed copy
    copy_id: int | None  # None: the document as sent
    chunks: AsyncIterator[bytes]
    complete: bool = False  # a sealed copy with every requested signature
    signers: str = ""  # a sealed copy's: "taxpayer", "taxpayer+spouse"


async def as_sent(
    core: Core,
    principal: Principal,
    document_id: int,
    *,
    return_id: int | None = None,
    user_agent: str = "",
) -> Download:
    """The document as the preparer added it. ``return_id`` pins it to a return (the
    API's URL names both)."""
    document, portal_id = await _document(principal, document_id, return_id)
    current = document.sent_at is not None and document.superseded_at is None
    visible = principal.is_staff or current
    await _check(principal, document, portal_id if visible else None, return_id, found=True)
    details = {"sha256_before": document.sha256}
    chunks = await _recorded(core, principal, document, details, document.storage_key, user_agent)
    return Download(document.id, document.file_name, document.size, document.sha256, None, chunks)


async def signed_copy(
    core: Core,
    principal: Principal,
    document_id: int,
    copy_id: int | None = None,
    *,
    return_id: int | None = None,
    user_agent: str = "",
) -> Download:
    """A sealed copy of the document: ``copy_id``, or the newest (the one with every
    signature so far). No copy yet is ``NotFound``."""
    document, portal_id = await _document(principal, document_id, return_id)
    copies = SignedCopy.filter(document_id=document.id)
    if copy_id is not None:
        ok = type(copy_id) is int and 1 <= copy_id <= MAX_ID
        copies = copies.filter(id=copy_id if ok else 0)
    copy = await copies.order_by("-id").first()
    visible = principal.is_staff or document.sent_at is not None
    await _check(
        principal, document, portal_id if visible else None, return_id, found=copy is not None
    )
    assert copy is not None  # _check raised otherwise
    details = {"copy_id": copy.id, "sha256_after": copy.sha256_after}
    chunks = await _recorded(core, principal, document, details, copy.storage_key, user_agent)
    return Download(
        document.id,
        document.file_name,
        copy.size,
        copy.sha256_after,
        copy.id,
        chunks,
        complete=copy.complete,
        signers=copy.signers,
    )


async def _document(
    principal: Principal, document_id: int, return_id: int | None
) -> tuple[PreparerDocument, int | None]:
    """The document by its id alone and its real portal; none is a logged denial."""
    document = None
    if type(document_id) is int and 1 <= document_id <= MAX_ID:
        document = await PreparerDocument.get_or_none(id=document_id, deleted_at__isnull=True)
    if document is None:  # logged against the asker's own portal (or the URL's return)
        await _denied(principal, principal.portal_id, document_id, return_id)
    assert document is not None
    return document, await portal_id_of(document.tax_return_id)  # type: ignore[attr-defined]


async def _check(
    principal: Principal,
    document: PreparerDocument,
    portal_id: int | None,
    return_id: int | None,
    *,
    found: bool,
) -> None:
    """The download checked against the document's real return and portal (``portal_id``
    None: one the principal may not see, checked as nobody's)."""
    real_return: int = document.tax_return_id  # type: ignore[attr-defined]
    here = return_id is None or real_return == return_id
    try:
        await check(
            principal,
            "download",
            "document",
            portal_id=portal_id,
            file_id=document.id,
            return_id=real_return,
            found=found and here,
        )
    except Denied:
        raise NotFound(document.id) from None


async def _denied(
    principal: Principal, portal_id: int | None, file_id: int, return_id: int | None
) -> None:
    try:
        await check(
            principal,
            "download",
            "document",
            portal_id=portal_id,
            file_id=file_id if type(file_id) is int and 1 <= file_id <= MAX_ID else None,
            return_id=return_id,
            found=False,
        )
    except Denied:
        raise NotFound(file_id) from None


async def _recorded(
    core: Core,
    principal: Principal,
    document: PreparerDocument,
    details: dict[str, Any],
    key: str,
    user_agent: str,
) -> AsyncIterator[bytes]:
    if core.plugins.storage is None:
        raise Unavailable()
    chunks = core.plugins.storage.get(key)
    if not await SignatureRequest.filter(document_id=document.id).exists():
        return chunks  # no signing record to add to: the activity log has the download
    role = Role.PREPARER if principal.is_staff else Role.TAXPAYER
    return _appended_when_read(chunks, document.id, role, principal, user_agent, details)


async def _appended_when_read(
    chunks: AsyncIterator[bytes],
    document_id: int,
    role: Role,
    principal: Principal,
    user_agent: str,
    details: dict[str, Any],
) -> AsyncIterator[bytes]:
    """The ``downloaded`` event, once the storage gave the first bytes (not for a HEAD,
    which reads none, nor when the storage is down)."""
    iterator = aiter(chunks)
    first = await anext(iterator, b"")
    await records.append(
        document_id,
        Kind.DOWNLOADED,
        role=role,
        actor=principal.actor,
        ip=principal.address,
        user_agent=user_agent,
        details=details,
    )
    yield first
    async for chunk in iterator:
        yield chunk
