""" "Files From My Preparer": PDFs the preparer adds to a return and sends to the taxpayer.

A PDF is spooled to a file under ``<data_dir>/spool`` while it arrives (size cap, SHA-256
hashed on a worker thread), judged by pypdf off the event loop (``pdf_check``), and
only then streamed into the storage plugin under a key the core makes: a refused file never
reaches the storage. The row is created before the bytes are stored, marked as being added
(``ADDING``), so a crash leaves nothing the start-up cleanup (``uploads.cleanup``) cannot find.
Every function finds the rows it needs and passes ``document_access.check`` against the
document's REAL return and portal before handing anything out, so no handler can skip it;
``Denied`` (and ``NotFound``) are answered as 404. Sending a new version of a document (same
name, any case, same return) supersedes the old one for the taxpayer and voids its pending
signature requests.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from taxportal.bus import atomic
from taxportal.context import Core
from taxportal.contracts import PlacementBox, StorageBackend
from taxportal.events import DocumentsSent
from taxportal.models import PreparerDocument, SignatureRequest, SignedCopy, TaxReturn
from taxportal.services import activity
from taxportal.services.documents import pdf_check, placement
from taxportal.services.documents.access import Action, Denied, Principal, check, portal_id_of
from taxportal.services.documents.notice import notify_taxpayer
from taxportal.services.documents.spool import Spooled, read_back, spool
from taxportal.services.returns.fields import has_spouse
from taxportal.services.signing import records, retention
from taxportal.services.signing.kinds import Kind, Role
from taxportal.services.uploads.stream import MB, UploadError, clean_name, forget

log = logging.getLogger(__name__)
MAX_BYTES = 50 * MB  # a whole return with its schedules is a few MB; this leaves room
SIGNERS = ("taxpayer", "spouse")
# deleted_at of a document whose bytes are being stored. There is no state column on
# preparer_document (and no migration for one): the row is made first with this marker, so it
# is invisible everywhere (every query wants deleted_at null), then cleared once the bytes
# are in. The start-up cleanup takes rows carrying exactly this marker (bytes and row); a
# preparer's delete writes the real time, so a document deleted on purpose is never taken.
ADDING = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


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
    """One ticked document of a send, with who must sign it and, for any of them, where
    the preparer chose to put the signature (signer -> ``placement.Chosen``; none: the
    automatic place)."""

    document_id: int
    signers: tuple[str, ...] = ()
    boxes: Mapping[str, placement.Chosen] = field(default_factory=dict)


@dataclass
class SendResult:
    sent: list[PreparerDocument]
    superseded: list[int]  # ids of the older versions the taxpayer no longer sees
    voided: int  # signature requests voided on them
    notified_by: str = ""  # "email" | "sms" | "" (not told)
    notice_problem: str = ""  # why the taxpayer could not be told, for the preparer
    notice_retrying: str = ""  # the channel a job keeps trying after a failed delivery
    # (document id, signer) -> the box the preparer chose, as stored
    boxes: dict[tuple[int, str], PlacementBox] = field(default_factory=dict)


@dataclass
class DocumentRow:
    """A document as the Signed Document Manager shows it."""

    document: PreparerDocument
    state: str  # "not_sent" | "sent" | "superseded"
    signatures: dict[str, str] = field(default_factory=dict)  # signer -> pending|signed|voided
    requests: dict[str, SignatureRequest] = field(default_factory=dict)  # signer -> its request
    copies: list[SignedCopy] = field(default_factory=list)  # sealed copies, newest first

    @property
    def complete(self) -> bool:
        """A copy holds every requested signature."""
        return any(c.complete for c in self.copies)

    @property
    def reminded(self) -> dict[str, dt.datetime]:
        """signer -> their last reminder."""
        return {
            role: r.reminded_at for role, r in self.requests.items() if r.reminded_at is not None
        }

    @property
    def newest_copy_id(self) -> int | None:
        """The newest sealed copy (the complete one, once all signed)."""
        return self.copies[0].id if self.copies else None

    @property
    def progress(self) -> str:
        """The document's state in the words a preparer scans: Not sent, Sent, Viewed,
        Signed by taxpayer, Signed by spouse, Complete, Replaced by a newer version."""
        if self.state == "not_sent":
            return "Not sent"
        if self.state == "superseded":
            return "Replaced by a newer version"
        signed = [role for role in SIGNERS if self.signatures.get(role) == "signed"]
        if signed and "pending" not in self.signatures.values():
            return "Complete"
        if signed:
            return " and ".join(f"Signed by {role}" for role in signed)
        return "Viewed" if self.document.viewed_at is not None else "Sent"

    @property
    def signers(self) -> list[tuple[str, str]]:
        """(signer, where their signature stands) in the order taxpayer, spouse."""
        words = {"pending": "waiting for signature", "signed": "signed", "voided": "voided"}
        return [
            (role, words.get(self.signatures[role], self.signatures[role]))
            for role in SIGNERS
            if role in self.signatures
        ]


def is_joint(tax_return: TaxReturn) -> bool:
    return has_spouse(tax_return.spouse_first_name, tax_return.spouse_last_name)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _storage(core: Core) -> StorageBackend:
    if core.plugins.storage is None:
        raise DocumentError(
            "no_storage", "File storage is not set up: no storage plugin is enabled."
        )
    return core.plugins.storage


async def _check(
    principal: Principal,
    action: Action,
    return_id: int,
    portal_id: int | None,
    file_id: int | None = None,
    *,
    found: bool = True,
) -> None:
    """The access check (logged); what does not exist, or is not where the URL puts it, is
    ``NotFound``, a refusal of what does is ``Denied``."""
    try:
        await check(
            principal,
            action,
            "document",
            portal_id=portal_id,
            file_id=file_id,
            return_id=return_id,
            found=found,
        )
    except Denied:
        if found:
            raise
        raise NotFound(file_id if file_id is not None else return_id) from None


async def _return(
    principal: Principal, action: Action, return_id: int
) -> tuple[TaxReturn, int | None]:
    """The return and its portal (None before one is made). A missing return is a logged
    denial and ``NotFound``; for an existing one the caller makes the check."""
    tax_return = await TaxReturn.get_or_none(id=return_id)
    if tax_return is None:
        await _check(principal, action, return_id, None, found=False)
    assert tax_return is not None  # _check raised otherwise
    return tax_return, await portal_id_of(return_id)


async def _document(
    principal: Principal, action: Action, tax_return: TaxReturn, portal_id: int | None, doc_id: int
) -> PreparerDocument:
    """A document found by its id alone and checked against its REAL return and portal
    (logged), then pinned to ``tax_return``: another return's document is ``NotFound``."""
    document = await PreparerDocument.get_or_none(id=doc_id, deleted_at__isnull=True)
    if document is None:
        await _check(principal, action, tax_return.id, portal_id, doc_id, found=False)
    assert document is not None  # _check raised otherwise
    real_return: int = document.tax_return_id  # type: ignore[attr-defined]
    if real_return != tax_return.id:
        portal_id = await portal_id_of(real_return)
    await _check(
        principal, action, real_return, portal_id, doc_id, found=real_return == tax_return.id
    )
    return document


# --- adding a PDF -------------------------------------------------------------------------


async def add(
    core: Core, principal: Principal, return_id: int, file_name: str, chunks: AsyncIterator[bytes]
) -> PreparerDocument:
    """Add one PDF to the return's Signed Document Manager (not sent yet), or raise
    DocumentError leaving nothing stored."""
    tax_return, portal_id = await _return(principal, "upload", return_id)
    await _check(principal, "upload", tax_return.id, portal_id)
    storage = _storage(core)
    try:
        try:
            name = clean_name(file_name)
        except UploadError as exc:
            raise DocumentError(exc.kind, exc.message) from None
        spooled = await spool(core.config.data_dir, chunks, MAX_BYTES)
    except (DocumentError, pdf_check.PdfProblem) as exc:
        raise await _refused(principal, tax_return, exc) from None
    try:
        try:
            pages = await asyncio.to_thread(pdf_check.inspect, spooled.path)
        except pdf_check.PdfProblem as exc:
            raise await _refused(principal, tax_return, exc) from None
        row = await _store(storage, spooled, name, pages, principal, tax_return)
    finally:
        await asyncio.to_thread(os.unlink, spooled.path)
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
    storage: StorageBackend,
    spooled: Spooled,
    name: str,
    pages: int,
    principal: Principal,
    tax_return: TaxReturn,
) -> PreparerDocument:
    """The row first (marked ``ADDING``: invisible), then the bytes, then the mark cleared; a
    failure removes both, a crash in between is the start-up cleanup's. Never bytes
    without a row to find them by."""
    row = await PreparerDocument.create(
        tax_return=tax_return,
        storage_key=f"d/{tax_return.id}/{secrets.token_hex(16)}",
        file_name=name,
        size=spooled.size,
        sha256=spooled.sha256,
        pages=pages,
        added_by=principal.actor,
        deleted_at=ADDING,
    )
    try:
        await storage.put(row.storage_key, read_back(spooled.path))
        # conditional: a start-up cleanup of another server may have taken the row
        if not await PreparerDocument.filter(id=row.id, deleted_at=ADDING).update(deleted_at=None):
            raise RuntimeError(f"the row of document {row.id} was removed while it was stored")
    except BaseException as exc:
        await asyncio.shield(_discard(storage, row))  # a cancelled add leaves nothing either
        if not isinstance(exc, Exception):
            raise
        log.exception("storage %s failed to store %s", storage.name, row.storage_key)
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
    row.deleted_at = None
    return row


async def _discard(storage: StorageBackend, row: PreparerDocument) -> None:
    """Remove a failed add: its bytes (if any arrived), then its row."""
    await forget(storage, row.storage_key)
    try:
        await PreparerDocument.filter(id=row.id, deleted_at=ADDING).delete()
    except Exception:  # already failing: the start-up cleanup removes the row later
        log.exception("could not remove the row of the failed add %s", row.id)


# --- the preparer's list, send and delete ---------------------------------------------------


async def documents_of_return(
    principal: Principal, return_id: int
) -> tuple[TaxReturn, list[DocumentRow]]:
    """The return and its documents (deleted ones left out), newest first, with their state,
    signature requests and signed copies: three statements whatever the count."""
    tax_return, portal_id = await _return(principal, "list", return_id)
    # drafts included: staff only (checked as nobody's portal); a taxpayer's list is sent_to()
    await _check(principal, "list", tax_return.id, portal_id if principal.is_staff else None)
    documents = await PreparerDocument.filter(
        tax_return_id=tax_return.id, deleted_at__isnull=True
    ).order_by("-added_at", "-id")
    ids = [d.id for d in documents]
    requests: dict[int, dict[str, SignatureRequest]] = {}
    for request in await SignatureRequest.filter(document_id__in=ids):
        requests.setdefault(request.document_id, {})[request.signer] = request  # type: ignore[attr-defined]
    copies: dict[int, list[SignedCopy]] = {}
    for copy in await SignedCopy.filter(document_id__in=ids).order_by("-id"):
        copies.setdefault(copy.document_id, []).append(copy)  # type: ignore[attr-defined]
    rows = []
    for d in documents:
        asked = requests.get(d.id, {})
        states = {role: r.status for role, r in asked.items()}
        rows.append(DocumentRow(d, _state(d), states, asked, copies.get(d.id, [])))
    return tax_return, rows


async def checked_document(
    principal: Principal, action: Action, return_id: int, document_id: int
) -> tuple[TaxReturn, int | None, PreparerDocument]:
    """The return, its portal and the document, found by its id and checked (logged)
    against its real return and portal for ``action``; ``NotFound`` or ``Denied``."""
    tax_return, portal_id = await _return(principal, action, return_id)
    document = await _document(principal, action, tax_return, portal_id, document_id)
    return tax_return, portal_id, document


def _state(document: PreparerDocument) -> str:
    if document.sent_at is None:
        return "not_sent"
    return "superseded" if document.superseded_at is not None else "sent"


async def send(core: Core, principal: Principal, return_id: int, picks: list[Pick]) -> SendResult:
    """Send the picked documents to the taxpayer, asking the given signers to sign each; older
    sent versions of the same names are superseded. Then the taxpayer is told, once."""
    tax_return, portal_id = await _return(principal, "send", return_id)
    if not picks:
        await _check(principal, "send", tax_return.id, portal_id)
        raise DocumentError("nothing", "Tick at least one document to send.")
    documents = await _picked(principal, tax_return, portal_id, picks)
    if portal_id is None:
        raise DocumentError(
            "no_portal", "This client has no portal yet: create one in Manage Portals first."
        )
    boxes = await _boxes(core, picks, documents)
    now = _now()
    async with atomic():
        superseded, voided = await _supersede(tax_return, documents, now)
        for pick, document in zip(picks, documents, strict=True):
            changed = await PreparerDocument.filter(
                id=document.id, sent_at__isnull=True, deleted_at__isnull=True
            ).update(sent_at=now, sent_by=principal.actor)
            if not changed:  # sent or deleted by someone else a moment ago
                raise DocumentError("already_sent", f"{document.file_name} was already sent.")
            for signer in pick.signers:
                await SignatureRequest.create(
                    document_id=document.id,
                    signer=signer,
                    **box_columns(boxes.get((document.id, signer))),
                )
            if pick.signers:  # the signing record starts when signatures are asked
                await records.append(
                    document.id,
                    Kind.SENT,
                    role=Role.PREPARER,
                    actor=principal.actor,
                    ip=principal.address,
                    user_agent="",
                )
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
        chosen_places=len(boxes),
        superseded=superseded,
        voided_requests=voided,
    )
    await core.plugins.emit(DocumentsSent(portal_id, tuple(d.id for d in documents)))
    result = SendResult(documents, superseded, voided, boxes=boxes)
    sign = any(pick.signers for pick in picks)
    notice = await notify_taxpayer(core, principal, tax_return, portal_id, len(documents), sign)
    result.notified_by, result.notice_problem = notice.channel, notice.problem
    result.notice_retrying = notice.retrying
    return result


async def _picked(
    principal: Principal, tax_return: TaxReturn, portal_id: int | None, picks: list[Pick]
) -> list[PreparerDocument]:
    """The picked documents, each checked: this return's, not sent yet, valid signers."""
    documents = []
    names: set[str] = set()
    for pick in picks:
        document = await _document(principal, "send", tax_return, portal_id, pick.document_id)
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
        for signer, chosen in pick.boxes.items():
            if signer not in pick.signers:
                raise DocumentError(
                    "box", f"A place was chosen for the {signer}, who is not asked to sign."
                )
            try:
                placement.check_page(chosen, document.pages, signer)
            except placement.BoxProblem as exc:
                raise DocumentError("box", f"{document.file_name}: {exc.message}") from None
        folded = document.file_name.casefold()
        if folded in names:
            raise DocumentError(
                "same_name", f"Two of the ticked documents are named {document.file_name}."
            )
        names.add(folded)
        documents.append(document)
    return documents


async def _boxes(
    core: Core, picks: list[Pick], documents: list[PreparerDocument]
) -> dict[tuple[int, str], PlacementBox]:
    """The chosen boxes, (document id, signer) -> box, each checked against its real page:
    the PDF is read back from the storage only for a document with a choice."""
    boxes: dict[tuple[int, str], PlacementBox] = {}
    for pick, document in zip(picks, documents, strict=True):
        if not pick.boxes:
            continue
        try:
            pdf = b"".join([c async for c in _storage(core).get(document.storage_key)])
        except DocumentError:
            raise
        except Exception as exc:
            log.exception("could not read document %s to place a signature", document.id)
            raise DocumentError(
                "storage", "The file could not be read to place the signature. Try again later."
            ) from exc
        wanted = {chosen.page - 1 for chosen in pick.boxes.values()}
        try:
            shapes = await placement.shapes_of(pdf, wanted)
        except Exception:  # noqa: BLE001 - it passed pdf_check when added: a page we cannot read
            raise DocumentError(
                "box", f"{document.file_name}: its pages cannot be read to place a signature."
            ) from None
        for signer, chosen in pick.boxes.items():
            try:
                box = placement.resolve(chosen, shapes[chosen.page - 1], signer)
            except placement.BoxProblem as exc:
                raise DocumentError("box", f"{document.file_name}: {exc.message}") from None
            boxes[(document.id, signer)] = box
    return boxes


def box_columns(box: PlacementBox | None) -> dict[str, float | int | None]:
    """A chosen box as the signature request's columns (all None: the automatic place)."""
    if box is None:
        return dict.fromkeys(("box_page", "box_x", "box_y", "box_width", "box_height"))
    return {
        "box_page": box.page,
        "box_x": box.x,
        "box_y": box.y,
        "box_width": box.width,
        "box_height": box.height,
    }


def chosen_box(request: SignatureRequest) -> PlacementBox | None:
    """The box the preparer chose for this request, or None (the automatic place)."""
    values = (request.box_x, request.box_y, request.box_width, request.box_height)
    if request.box_page is None or any(v is None for v in values):
        return None
    x, y, width, height = (float(v) for v in values)  # type: ignore[arg-type]
    return PlacementBox(request.box_page, x, y, width, height)


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
        if await SignatureRequest.filter(document_id=old.id, status="pending").exists():
            await records.append(
                old.id,
                Kind.VOIDED,
                role=Role.PREPARER,
                actor="",
                ip="",
                user_agent="",
                details={"reason": "superseded", "superseded_by": replacement.id},
            )
    voided = 0
    if superseded:
        voided = await SignatureRequest.filter(document_id__in=superseded, status="pending").update(
            status="voided", voided_at=now
        )
    return superseded, voided


async def delete(core: Core, principal: Principal, return_id: int, document_id: int) -> None:
    """Remove a document that was not sent (a sent one stays: the taxpayer has seen it); a
    signed one is kept until its retention date, whatever else allows (``retention``)."""
    tax_return, portal_id = await _return(principal, "delete", return_id)
    document = await _document(principal, "delete", tax_return, portal_id, document_id)
    try:
        await retention.guard(core, document.id, document.file_name)
    except retention.Retained as kept:
        raise DocumentError("retained", kept.message) from None
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
