""" "Files From My Preparer": PDFs the preparer adds to a return and sends to the taxpayer.

A PDF is spooled to a temporary file while it arrives (size cap, SHA-256), judged by pypdf
off the event loop (services/pdf_check.py), and only then streamed into the storage plugin
under a key the core makes: a refused file never reaches the storage. Every function calls
``document_access.check`` first, so no handler can skip it; ``Denied`` is answered as 404.
Sending a new version of a document (same name, any case, same return) supersedes the old
one for the taxpayer and voids its pending signature requests.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import secrets
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from tortoise.transactions import in_transaction

from taxportal.context import Core
from taxportal.contracts import StorageBackend
from taxportal.models import PreparerDocument, SignatureRequest, TaxReturn
from taxportal.services import activity, pdf_check
from taxportal.services.document_access import Action, Principal, check
from taxportal.services.document_notice import notify_taxpayer
from taxportal.services.sent_documents import portal_id_of

log = logging.getLogger(__name__)
MB = 1024 * 1024
MAX_BYTES = 50 * MB  # a whole return with its schedules is a few MB; this leaves room
NAME_MAX = 255
READ_BLOCK = 256 * 1024
SIGNERS = ("taxpayer", "spouse")


class DocumentError(Exception):
    """Why a document was refused or could not be sent; ``message`` is shown to the preparer."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class NotFound(LookupError):
    """No such return or document (or not this principal's): a 404."""


@dataclass(frozen=True)
class Pick:
    """One ticked document of a send, with who must sign it."""

    document_id: int
    signers: tuple[str, ...] = ()


@dataclass
class SendResult:
    sent: list[PreparerDocument]
    superseded: list[int]  # ids of the older versions the taxpayer no longer sees
    voided: int  # signature requests voided on them
    notified_by: str = ""  # "email" | "sms" | "" (not told)
    notice_problem: str = ""  # why the taxpayer could not be told, for the preparer


@dataclass
class DocumentRow:
    """A document as the Signed Document Manager shows it."""

    document: PreparerDocument
    state: str  # "not_sent" | "sent" | "superseded"
    signatures: dict[str, str] = field(default_factory=dict)  # signer -> pending|signed|voided


def is_joint(tax_return: TaxReturn) -> bool:
    return bool(tax_return.spouse_first_name.strip() or tax_return.spouse_last_name.strip())


def clean_name(file_name: str) -> str:
    """The name as given (only ever displayed, escaped), cut to 255; control characters refused."""
    if any(unicodedata.category(c) == "Cc" for c in file_name):
        raise DocumentError("name", "The file name contains control characters.")
    name = file_name.strip()[:NAME_MAX]
    if not name:
        raise DocumentError("name", "The file has no name.")
    return name


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _storage(core: Core) -> StorageBackend:
    if core.plugins.storage is None:
        raise DocumentError(
            "no_storage", "File storage is not set up: no storage plugin is enabled."
        )
    return core.plugins.storage


async def _return(return_id: int) -> TaxReturn:
    tax_return = await TaxReturn.get_or_none(id=return_id)
    if tax_return is None:
        raise NotFound(return_id)
    return tax_return


async def _check(
    principal: Principal,
    action: Action,
    tax_return: TaxReturn,
    portal_id: int | None,
    file_id: int | None = None,
) -> None:
    await check(
        principal,
        action,
        "document",
        portal_id=portal_id,
        file_id=file_id,
        return_id=tax_return.id,
    )


# --- adding a PDF -------------------------------------------------------------------------


@dataclass
class _Spooled:
    path: Path
    size: int
    sha256: str


async def _spool(chunks: AsyncIterator[bytes]) -> _Spooled:
    """Write the incoming bytes to a temporary file, counting and hashing; refuse early what
    is too large or does not start like a PDF. The caller removes the file."""
    handle = await asyncio.to_thread(
        tempfile.NamedTemporaryFile, prefix="taxportal-doc-", delete=False
    )
    path = Path(handle.name)
    digest = hashlib.sha256()
    size = 0
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            if size == 0 and len(chunk) >= len(pdf_check.PDF_MAGIC):
                if not pdf_check.looks_like_pdf(chunk):
                    raise pdf_check.PdfProblem(
                        "not_pdf", "This file is not a PDF (judged by its content, not its name)."
                    )
            size += len(chunk)
            if size > MAX_BYTES:
                raise DocumentError("too_large", f"The file is larger than {MAX_BYTES // MB} MB.")
            digest.update(chunk)
            await asyncio.to_thread(handle.write, chunk)
        await asyncio.to_thread(handle.flush)
    except BaseException:
        handle.close()
        path.unlink(missing_ok=True)
        raise
    handle.close()
    return _Spooled(path, size, digest.hexdigest())


async def _read_back(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while block := await asyncio.to_thread(handle.read, READ_BLOCK):
            yield block
    finally:
        handle.close()


async def add(
    core: Core, principal: Principal, return_id: int, file_name: str, chunks: AsyncIterator[bytes]
) -> PreparerDocument:
    """Add one PDF to the return's Signed Document Manager (not sent yet), or raise
    DocumentError leaving nothing stored."""
    tax_return = await _return(return_id)
    portal_id = await portal_id_of(tax_return.id)
    await _check(principal, "upload", tax_return, portal_id)
    storage = _storage(core)
    try:
        name = clean_name(file_name)
        spooled = await _spool(chunks)
    except (DocumentError, pdf_check.PdfProblem) as exc:
        raise await _refused(principal, tax_return, exc) from None
    try:
        try:
            pages = await asyncio.to_thread(pdf_check.inspect, spooled.path)
        except pdf_check.PdfProblem as exc:
            raise await _refused(principal, tax_return, exc) from None
        key = f"d/{tax_return.id}/{secrets.token_hex(16)}"
        await _store(storage, key, spooled.path, principal, tax_return)
    finally:
        await asyncio.to_thread(os.unlink, spooled.path)
    try:
        row = await PreparerDocument.create(
            tax_return=tax_return,
            storage_key=key,
            file_name=name,
            size=spooled.size,
            sha256=spooled.sha256,
            pages=pages,
            added_by=principal.actor,
        )
    except BaseException:
        await _forget(storage, key)  # no bytes without a row
        raise
    await activity.record(
        "document_added",
        actor=principal.actor,
        subject=f"return:{tax_return.id}",
        address=principal.address,
        file_id=row.id,
        size=row.size,
        pages=pages,
    )
    return row


async def _refused(
    principal: Principal, tax_return: TaxReturn, exc: DocumentError | pdf_check.PdfProblem
) -> DocumentError:
    await activity.record(
        "document_refused",
        actor=principal.actor,
        subject=f"return:{tax_return.id}",
        address=principal.address,
        reason=exc.kind,
    )
    return DocumentError(exc.kind, exc.message)


async def _store(
    storage: StorageBackend, key: str, path: Path, principal: Principal, tax_return: TaxReturn
) -> None:
    try:
        await storage.put(key, _read_back(path))
    except Exception as exc:
        log.exception("storage %s failed to store %s", storage.name, key)
        await activity.record(
            "document_store_failed",
            actor=principal.actor,
            subject=f"return:{tax_return.id}",
            address=principal.address,
            reason=type(exc).__name__,
        )
        raise DocumentError(
            "storage", "The file could not be stored. Please try again in a few minutes."
        ) from exc


async def _forget(storage: StorageBackend, key: str) -> None:
    try:
        await storage.delete(key)
    except Exception:  # already failing: keep the first error
        log.exception("could not delete %s after a failed add", key)


# --- the preparer's list, send and delete ---------------------------------------------------


async def documents_of_return(
    principal: Principal, return_id: int
) -> tuple[TaxReturn, list[DocumentRow]]:
    """The return and its documents (deleted ones left out), newest first, with their state."""
    tax_return = await _return(return_id)
    # drafts included: staff only (checked as nobody's portal); a taxpayer's list is sent_to()
    portal_id = await portal_id_of(tax_return.id) if principal.is_staff else None
    await _check(principal, "list", tax_return, portal_id)
    documents = await PreparerDocument.filter(
        tax_return_id=tax_return.id, deleted_at__isnull=True
    ).order_by("-added_at", "-id")
    requests = await SignatureRequest.filter(document_id__in=[d.id for d in documents])
    by_document: dict[int, dict[str, str]] = {}
    for request in requests:
        by_document.setdefault(request.document_id, {})[request.signer] = request.status  # type: ignore[attr-defined]
    return tax_return, [DocumentRow(d, _state(d), by_document.get(d.id, {})) for d in documents]


def _state(document: PreparerDocument) -> str:
    if document.sent_at is None:
        return "not_sent"
    return "superseded" if document.superseded_at is not None else "sent"


async def send(core: Core, principal: Principal, return_id: int, picks: list[Pick]) -> SendResult:
    """Send the picked documents to the taxpayer, asking the given signers to sign each; older
    sent versions of the same names are superseded. Then the taxpayer is told, once."""
    tax_return = await _return(return_id)
    portal_id = await portal_id_of(tax_return.id)
    if not picks:
        raise DocumentError("nothing", "Tick at least one document to send.")
    documents = await _picked(principal, tax_return, portal_id, picks)
    if portal_id is None:
        raise DocumentError(
            "no_portal", "This client has no portal yet: create one in Manage Portals first."
        )
    now = _now()
    async with in_transaction():
        superseded, voided = await _supersede(tax_return, documents, now)
        for pick, document in zip(picks, documents, strict=True):
            changed = await PreparerDocument.filter(
                id=document.id, sent_at__isnull=True, deleted_at__isnull=True
            ).update(sent_at=now, sent_by=principal.actor)
            if not changed:  # sent or deleted by someone else a moment ago
                raise DocumentError("already_sent", f"{document.file_name} was already sent.")
            for signer in pick.signers:
                await SignatureRequest.create(document_id=document.id, signer=signer)
    for document in documents:
        document.sent_at, document.sent_by = now, principal.actor
    await activity.record(
        "documents_sent",
        actor=principal.actor,
        subject=f"portal:{portal_id}",
        address=principal.address,
        return_id=tax_return.id,
        file_ids=[d.id for d in documents],
        signers={str(p.document_id): list(p.signers) for p in picks},
        superseded=superseded,
        voided_requests=voided,
    )
    await core.plugins.emit(
        "documents_sent", portal_id=portal_id, document_ids=[d.id for d in documents]
    )
    result = SendResult(documents, superseded, voided)
    sign = any(pick.signers for pick in picks)
    result.notified_by, result.notice_problem = await notify_taxpayer(
        core, principal, tax_return, portal_id, len(documents), sign
    )
    return result


async def _picked(
    principal: Principal, tax_return: TaxReturn, portal_id: int | None, picks: list[Pick]
) -> list[PreparerDocument]:
    """The picked documents, each checked: this return's, not sent yet, valid signers."""
    documents = []
    names: set[str] = set()
    for pick in picks:
        document = await PreparerDocument.get_or_none(
            id=pick.document_id, tax_return_id=tax_return.id, deleted_at__isnull=True
        )
        if document is None:
            raise NotFound(pick.document_id)
        await _check(principal, "send", tax_return, portal_id, document.id)
        if document.sent_at is not None:
            raise DocumentError(
                "already_sent",
                f"{document.file_name} was already sent: add it again to send a new version.",
            )
        for signer in pick.signers:
            if signer not in SIGNERS:
                raise DocumentError("signer", f"Unknown signer {signer!r}: taxpayer or spouse.")
        if "spouse" in pick.signers and not is_joint(tax_return):
            raise DocumentError(
                "spouse",
                "This return is not joint (no spouse name): only the taxpayer can sign.",
            )
        if len(set(pick.signers)) != len(pick.signers):
            raise DocumentError("signer", "Each signer is asked once per document.")
        folded = document.file_name.casefold()
        if folded in names:
            raise DocumentError(
                "same_name", f"Two of the ticked documents are named {document.file_name}."
            )
        names.add(folded)
        documents.append(document)
    return documents


async def _supersede(
    tax_return: TaxReturn, documents: list[PreparerDocument], now: dt.datetime
) -> tuple[list[int], int]:
    """Mark the older sent versions of these names superseded; void their pending requests."""
    sent = await PreparerDocument.filter(
        tax_return_id=tax_return.id,
        sent_at__isnull=False,
        superseded_at__isnull=True,
        deleted_at__isnull=True,
    )
    newer = {d.file_name.casefold(): d for d in documents}
    superseded = []
    for old in sent:
        replacement = newer.get(old.file_name.casefold())  # Unicode-aware, unlike SQL LOWER()
        if replacement is None:
            continue
        await PreparerDocument.filter(id=old.id).update(
            superseded_at=now, replaced_by_id=replacement.id
        )
        superseded.append(old.id)
    voided = 0
    if superseded:
        voided = await SignatureRequest.filter(document_id__in=superseded, status="pending").update(
            status="voided", voided_at=now
        )
    return superseded, voided


async def delete(core: Core, principal: Principal, return_id: int, document_id: int) -> None:
    """Remove a document that was not sent (a sent one stays: the taxpayer has seen it)."""
    tax_return = await _return(return_id)
    document = await PreparerDocument.get_or_none(
        id=document_id, tax_return_id=tax_return.id, deleted_at__isnull=True
    )
    if document is None:
        raise NotFound(document_id)
    await _check(principal, "delete", tax_return, await portal_id_of(tax_return.id), document.id)
    changed = await PreparerDocument.filter(
        id=document.id, sent_at__isnull=True, deleted_at__isnull=True
    ).update(deleted_at=_now())
    if not changed:
        raise DocumentError("already_sent", f"{document.file_name} was sent: it cannot be removed.")
    await activity.record(
        "document_deleted",
        actor=principal.actor,
        subject=f"return:{tax_return.id}",
        address=principal.address,
        file_id=document.id,
    )
    try:
        await _storage(core).delete(document.storage_key)
    except Exception:  # the row is already removed: stray bytes are harmless, just logged
        log.exception("could not delete the bytes of removed document %s", document.id)
