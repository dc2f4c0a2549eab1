"""Sign: one signer signs one sent document, and the firm gets back a sealed PDF.

The steps, each decided by the database, never by what this process remembers:

1. The gates (``Refused`` with a reason): the request is this signer's and pending, the
   signer consented to electronic records, passed the identity check minutes ago, has a
   signature on file, and the document was opened with View.
2. The claim: one conditional UPDATE gives the document to this signing (one at a time
   per document: each pass seals every mark so far) with a lease (``[signing]
   lease_seconds``) and the storage key its sealed copy will take. A second Sign meanwhile
   is told to wait (``busy``).
3. The seal, in the signer's process pool: the document as sent, every mark so far.
4. The copy is stored, then one transaction marks the request signed in one conditional
   UPDATE (pending, and still this signing's), adds the ``signed_copy`` row, releases the
   document and appends the record (consent, identity, signed, sealed, completed).
   A new version sent meanwhile voided the request: nothing is marked, the copy's bytes
   are removed, and the signer is told to sign the new version.

A crash between 2 and 4 leaves a lease that runs out: the sweep job (``sweep.py``), or the
next Sign before it claims the document, removes the orphan copy's bytes and the lease. A
signing still running past its lease does not finish (the sweep may be removing its bytes).
Nothing half-signed is ever visible: a copy is listed only through its row, written with
the request's change, and no clean-up deletes bytes a copy's row names
(``retention.held_by_copy``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from taxportal import metrics
from taxportal.bus import atomic
from taxportal.context import Core
from taxportal.contracts import SigningError, SigningResult
from taxportal.events import DocumentSigned
from taxportal.i18n import N_
from taxportal.limits import MAX_ID
from taxportal.models import (
    IdentityCheck,
    PreparerDocument,
    SignatureImage,
    SignatureRequest,
    SignedCopy,
    SigningConsent,
    TaxpayerAccount,
    TaxReturn,
)
from taxportal.services import activity
from taxportal.services.documents.access import Denied, Principal, check, portal_id_of
from taxportal.services.signing import (
    consent,
    identity,
    records,
    retention,
    signatures,
    sweep,
)
from taxportal.services.signing.kinds import Kind, Role
from taxportal.services.signing.sign_task import NowSigning, signer_name, task_for
from taxportal.services.uploads.stream import forget

log = logging.getLogger(__name__)

SIGNING_METHOD = "drawn on screen"

# why a Sign was refused: the msgid the taxpayer reads
REASONS = {
    "consent": N_("Before signing, agree to sign electronically."),
    "identity": N_("Before signing, confirm who you are."),
    "signature": N_("Before signing, add your signature."),
    "view": N_("Open the document with View and read it before you sign it."),
    "signed": N_("You already signed this document."),
    "voided": N_("Your preparer sent a newer version of this document: sign that one instead."),
    "busy": N_("This document is being signed right now. Wait a moment and look again."),
    "locked": N_("Electronic signing is stopped for this signer: please sign on paper."),
    "unavailable": N_("Signing is not available right now. Please try again later."),
    "failed": N_(
        "This document could not be signed. Please try again later, or contact your preparer."
    ),
}


class NotFound(LookupError):
    """No such document or request for this signer in the principal's portal: a 404."""


class Refused(Exception):
    """The Sign did not happen; ``reason`` is a key of ``REASONS``, ``message`` its msgid
    (or, for ``failed``, the signer's own safe message)."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message or REASONS[reason]


@dataclass(frozen=True)
class Signed:
    """A finished Sign: the copy made, and whether every requested signer is now on it."""

    document_id: int
    role: str
    copy_id: int
    complete: bool


@dataclass(frozen=True)
class _Target:
    document: PreparerDocument
    tax_return: TaxReturn
    portal_id: int
    request: SignatureRequest
    consent: SigningConsent | None = None  # the acceptance the Sign was pressed under


async def sign(
    core: Core, principal: Principal, document_id: int, role: str, *, ip: str, user_agent: str
) -> Signed:
    """Sign ``document_id`` as ``role`` (see the module's steps). ``NotFound`` or ``Refused``."""
    with metrics.timed(metrics.SIGNING_SECONDS) as outcome:
        try:
            signed = await _sign(core, principal, document_id, role, ip=ip, user_agent=user_agent)
        except (NotFound, Refused):
            outcome["outcome"] = "refused"
            raise
        outcome["outcome"] = "signed"
        return signed


async def _sign(
    core: Core, principal: Principal, document_id: int, role: str, *, ip: str, user_agent: str
) -> Signed:
    target = await _target(principal, document_id, role)
    image = await _gates(core, principal, target, role)
    # the acceptance that stood when Sign was pressed goes in the record, not one read at
    # the finish (a withdrawal meanwhile is no acceptance)
    agreed = await consent.current(target.portal_id, role)
    if agreed is None or agreed.decision != "accepted":
        raise Refused("consent")
    target = replace(target, consent=agreed)
    if core.plugins.signer is None or core.plugins.storage is None:
        raise Refused("unavailable")
    key = f"s/{target.tax_return.id}/{secrets.token_hex(16)}"
    now = dt.datetime.now(dt.UTC)
    await _claim(core, target, key, now)
    try:
        method = await _identity_method(target.portal_id, role)
        copy, complete = await _seal_and_finish(
            core, principal, target, NowSigning(role, image, now, ip, user_agent, method), key
        )
    except BaseException:
        await _release(core, target.document.id, key)
        raise
    await activity.record(
        "document_signed",
        actor=principal.actor,
        subject=f"portal:{target.portal_id}",
        address=ip,
        file_id=target.document.id,
        role=role,
        copy_id=copy.id,
        sha256=copy.sha256_after,
        complete=complete,
    )
    return Signed(target.document.id, role, copy.id, complete)


async def _target(principal: Principal, document_id: int, role: str) -> _Target:
    """The document (sent to the principal's own portal, current) and this signer's request."""
    document = None
    if type(document_id) is int and 1 <= document_id <= MAX_ID and role in signatures.ROLES:
        document = await PreparerDocument.get_or_none(
            id=document_id, deleted_at__isnull=True, sent_at__isnull=False
        ).prefetch_related("tax_return")
    portal_id = await portal_id_of(document.tax_return.id) if document is not None else None
    try:
        await check(
            principal,
            "read",
            "document",
            portal_id=portal_id if document is not None else principal.portal_id,
            file_id=document_id if type(document_id) is int else None,
            found=document is not None,
        )
    except Denied:
        raise NotFound(document_id) from None
    assert document is not None and portal_id is not None  # check raised otherwise
    request = await SignatureRequest.get_or_none(document_id=document.id, signer=role)
    if request is None or principal.kind != "taxpayer":
        raise NotFound(document_id)
    if document.superseded_at is not None or request.status == "voided":
        raise Refused("voided")
    if request.status == "signed":
        raise Refused("signed")
    return _Target(document, document.tax_return, portal_id, request)


async def _gates(core: Core, principal: Principal, target: _Target, role: str) -> SignatureImage:
    """Consent, identity, a signature on file, a View: the image to draw, or ``Refused``."""
    step, image = await _first_step(core, target, role)
    if step is not None:
        raise Refused(step)
    assert image is not None
    return image


async def _first_step(
    core: Core, target: _Target, role: str
) -> tuple[str | None, SignatureImage | None]:
    """The first gate this signer has not passed (None when ready) and the image on file.
    The spouse's identity comes before the spouse's consent: the person at the screen
    proves they are the spouse before agreeing in the spouse's name."""
    if await IdentityCheck.filter(
        portal_id=target.portal_id, role=role, locked_at__isnull=False
    ).exists():
        return "locked", None
    checks = [("consent", _consented), ("identity", _identified)]
    for step, passed in checks if role == "taxpayer" else checks[::-1]:
        if not await passed(core, target.portal_id, role):
            return step, None
    image = await SignatureImage.get_or_none(
        portal_id=target.portal_id, role=role, replaced_at=None
    )
    if image is None:
        return "signature", None
    if target.request.viewed_at is None:  # this signer's own View
        return "view", image
    return None, image


async def _consented(core: Core, portal_id: int, role: str) -> bool:
    return not await consent.required(portal_id, role)


async def _identified(core: Core, portal_id: int, role: str) -> bool:
    return await identity.passed_for_signing(core, portal_id, role)


@dataclass(frozen=True)
class Ready:
    """What the Sign page shows: the document, the signer, and the step still missing
    (``None``: Sign may be pressed)."""

    document_id: int
    file_name: str
    role: str
    signer_name: str
    image_id: int | None
    step: str | None


async def readiness(core: Core, principal: Principal, document_id: int, role: str) -> Ready:
    """Whether ``role`` may sign ``document_id`` now, and if not, what comes first.
    ``NotFound``; ``Refused`` ("signed", "voided") when there is nothing left to sign."""
    target = await _target(principal, document_id, role)
    step, image = await _first_step(core, target, role)
    return Ready(
        target.document.id,
        target.document.file_name,
        role,
        signer_name(target.tax_return, role),
        image.id if image is not None else None,
        step,
    )


async def _claim(core: Core, target: _Target, key: str, now: dt.datetime) -> None:
    """Give the document to this signing in one conditional UPDATE, or ``Refused``. A lease
    that lapsed (its process died) is first cleared as the sweep clears it: taking it over
    in place would hide the lost signing's key, and its bytes, from the sweep for good."""
    if await _take(core, target, key, now):
        return
    lapsed = await PreparerDocument.filter(
        id=target.document.id, signing_until__lt=now, signing_key__isnull=False
    ).values_list("signing_key", flat=True)
    try:
        for old in lapsed:
            await sweep.clear(core, target.document.id, old, now)
    except Exception:  # the storage is down: the sweep tries again later
        log.exception("could not clear the lapsed signing of document %s", target.document.id)
        raise Refused("unavailable") from None
    if not lapsed or not await _take(core, target, key, now):
        raise Refused("busy")


async def _take(core: Core, target: _Target, key: str, now: dt.datetime) -> bool:
    lease = dt.timedelta(seconds=core.config.core.signing.lease_seconds)
    return bool(
        await PreparerDocument.filter(
            id=target.document.id,
            signing_key__isnull=True,
            superseded_at__isnull=True,
            deleted_at__isnull=True,
        ).update(signing_key=key, signing_until=now + lease)
    )


async def _release(core: Core, document_id: int, key: str) -> None:
    """Undo a claim that did not finish: the lease goes, and the copy's bytes if any."""
    try:
        await PreparerDocument.filter(id=document_id, signing_key=key).update(
            signing_key=None, signing_until=None
        )
        # a failure after the copy's row committed (a cancellation) must keep its bytes
        if core.plugins.storage is not None and not await retention.held_by_copy(key):
            await forget(core.plugins.storage, key)
    except Exception:  # already failing: the lease runs out and the sweep cleans up
        log.exception("could not release the signing of document %s", document_id)


async def _identity_method(portal_id: int, role: str) -> str:
    row = await IdentityCheck.get_or_none(portal_id=portal_id, role=role)
    return row.method if row is not None else ""


async def _seal_and_finish(
    core: Core, principal: Principal, target: _Target, now: NowSigning, key: str
) -> tuple[SignedCopy, bool]:
    storage, signer = core.plugins.storage, core.plugins.signer
    assert storage is not None and signer is not None
    pdf = b"".join([chunk async for chunk in storage.get(target.document.storage_key)])
    if hashlib.sha256(pdf).hexdigest() != target.document.sha256:
        log.error("document %s: stored bytes differ from the file as sent", target.document.id)
        raise Refused("failed")
    task = await task_for(core, target.document, target.tax_return, target.portal_id, pdf, now)
    try:
        result = await signer.sign(task)
    except SigningError as exc:
        log.warning("document %s could not be signed: %s", target.document.id, exc)
        raise Refused("failed", str(exc)) from None
    await storage.put(key, _one(result.pdf))
    return await _finish(core, principal, target, now, key, result)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _finish(
    core: Core,
    principal: Principal,
    target: _Target,
    now: NowSigning,
    key: str,
    result: SigningResult,
) -> tuple[SignedCopy, bool]:
    """The request signed, the copy listed, the document released and the record written:
    all in one transaction, or none of it."""
    document, request = target.document, target.request
    async with atomic():
        changed = await SignatureRequest.filter(id=request.id, status="pending").update(
            status="signed",
            signed_at=now.signed_at,
            image_id=now.image.id,
            ip=now.ip[:64],
            user_agent=now.user_agent[:512],
            identity_method=now.identity_method[:128],
        )
        # the lease still runs: past it the sweep may be removing this key's bytes
        held = await PreparerDocument.filter(
            id=document.id,
            signing_key=key,
            signing_until__gt=dt.datetime.now(dt.UTC),
            superseded_at__isnull=True,
        ).update(signing_key=None, signing_until=None)
        if not changed or not held:  # voided by a new version, or the lease was lost
            raise Refused("voided" if not changed else "busy")
        pending = await SignatureRequest.filter(document_id=document.id, status="pending").count()
        signed_roles = await SignatureRequest.filter(
            document_id=document.id, status="signed"
        ).values_list("signer", flat=True)
        copy = await SignedCopy.create(
            document_id=document.id,
            request_id=request.id,
            storage_key=key,
            size=len(result.pdf),
            sha256_before=result.sha256_before,
            sha256_after=result.sha256_after,
            certificate_fingerprint=result.certificate_fingerprint,
            validation=_validation_words(result),
            signers="+".join(r for r in signatures.ROLES if r in signed_roles),
            complete=pending == 0,
            created_at=dt.datetime.now(dt.UTC),
        )
        await _record(principal, target, now, result, pending == 0)
        await core.plugins.emit(DocumentSigned(target.portal_id, document.id, now.role))
    return copy, pending == 0


def _validation_words(result: SigningResult) -> str:
    check = result.check
    words = [
        name
        for name, ok in (
            ("intact", check.intact),
            ("valid", check.valid),
            ("trusted", check.trusted),
            ("whole_file", check.whole_file),
            ("timestamped", check.timestamped),
        )
        if ok
    ]
    return " ".join(words) or "failed"


async def _record(
    principal: Principal, target: _Target, now: NowSigning, result: SigningResult, complete: bool
) -> None:
    """The document's chain: the consent, the identity check, the signature, the seal. The
    actor is the signer's login user name (the IRS's list for a remote 8879 asks for it)."""
    document_id, role = target.document.id, now.role
    account = await TaxpayerAccount.get_or_none(id=principal.id).only("id", "username")
    actor = account.username if account is not None else principal.actor
    who = {"role": role, "actor": actor, "ip": now.ip, "user_agent": now.user_agent}
    agreed = target.consent
    if agreed is not None:
        await records.append(
            document_id,
            Kind.CONSENT_ACCEPTED,
            **who,
            details={"consent_text_sha256": agreed.text_sha256, "language": agreed.language},
        )
    method = now.identity_method or "not recorded"
    await records.append(
        document_id,
        Kind.IDENTITY_PASSED,
        **who,
        details={"identity_method": _word(method), "identity_result": "passed"},
    )
    await records.append(
        document_id,
        Kind.SIGNED,
        **who,
        details={
            "request_id": target.request.id,
            "signature_image_sha256": now.image.sha256,
            "signing_method": SIGNING_METHOD,
        },
    )
    system = {"role": Role.NONE, "actor": "system", "ip": "", "user_agent": ""}
    await records.append(
        document_id,
        Kind.SEALED,
        **system,
        details={
            "sha256_before": result.sha256_before,
            "sha256_after": result.sha256_after,
            "certificate_fingerprint": result.certificate_fingerprint,
            "validation": _validation_words(result),
        },
    )
    if complete:
        await records.append(document_id, Kind.COMPLETED, **system)


def _word(method: str) -> str:
    """The identity method as the record's word shape keeps it (lowercase, short)."""
    kept = "".join(c for c in method.lower() if c.isalnum() or c in " _.+-")[:64]
    return kept if kept[:1].isalpha() else "not recorded"
