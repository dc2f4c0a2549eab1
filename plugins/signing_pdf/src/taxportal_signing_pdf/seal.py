"""One signing pass, run in a pool process: place every mark, append the completion
certificate, seal the whole file (PAdES, ETSI.CAdES.detached, SHA-256; B-T with a
time-stamp server) in one incremental pyHanko write, then validate the output.

Everything here is blocking CPU work on plain data: it never runs on the event loop."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import defaultdict

from asn1crypto import x509 as asn1_x509
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pypdf import PdfReader

from taxportal.api import (
    Placement,
    SignatureImageError,
    SigningError,
    SigningResult,
    SigningTask,
    check_signature_png,
)
from taxportal_signing_pdf import certificate_page, drawing, placement, pool_signer, validation
from taxportal_signing_pdf.keys import KeyMaterial
from taxportal_signing_pdf.options import SealOptions

SEAL_FIELD = "TaxportalSeal"


def sign(task: SigningTask, keys: KeyMaterial, options: SealOptions) -> SigningResult:
    """The whole pass; raises ``SigningError`` with a message safe to show."""
    before = hashlib.sha256(task.pdf).hexdigest()
    if task.sha256_as_sent.lower() != before:  # the certificate would vouch for other bytes
        raise SigningError("This is not the document that was sent for signing.")
    roles = [m.role for m in task.marks]
    if len(set(roles)) != len(roles):
        raise SigningError("Each signer can sign a document once.")
    decoded = {}  # each drawing checked and decoded once, in this job (never shared)
    for mark in task.marks:
        try:
            decoded[mark.role] = check_signature_png(mark.png, keep_image=True).image
        except SignatureImageError as exc:
            raise SigningError(str(exc)) from None
    reader = _reader(task.pdf)
    try:
        spots = placement.plan(reader, task.marks)
    except Exception:  # noqa: BLE001 - pypdf's many errors on a broken file: one message
        raise SigningError("This PDF could not be read: it may be damaged.") from None
    writer = _writer(task.pdf)
    try:
        drawn = {}
        for mark in task.marks:
            image = drawing.signature_image(decoded[mark.role])
            drawn[mark.role] = (pil_image(image, writer), image)
        by_page: dict[tuple[int, int], list] = defaultdict(list)
        for spot, mark in zip(spots, task.marks, strict=True):
            by_page[spot.page_ref].append((spot, mark, *drawn[mark.role]))
        for marks in by_page.values():
            drawing.draw_page(writer, marks, options.signature_block_text)
        certificate_page.add_certificate_page(
            writer,
            document_name=task.document_name,
            document_id=task.document_id,
            sha256_as_sent=task.sha256_as_sent,
            events=task.events,
            entries=task.certificate,
            images=drawn,
            sealed_by=_subject(keys.signing_cert_pem),
            certificate_fingerprint=keys.fingerprint,
            made_at=dt.datetime.now(dt.UTC),
        )
        output = _seal(writer, keys, options)
    except SigningError:
        raise
    except Exception:  # noqa: BLE001 - pyHanko's many errors on a strange file: one message
        raise SigningError("This PDF could not be signed: it may be damaged.") from None
    check = validation.check(output, keys.root_cert_pem)
    if not check.passed:
        raise SigningError("The signed file did not validate; nothing was kept.")
    return SigningResult(
        pdf=output,
        sha256_before=before,
        sha256_after=hashlib.sha256(output).hexdigest(),
        certificate_fingerprint=keys.fingerprint,
        placements=[
            Placement(s.role, s.box.page, s.box, s.how)  # type: ignore[arg-type]
            for s in spots
        ],
        check=check,
    )


def _reader(pdf: bytes) -> PdfReader:
    if not pdf.lstrip()[:5].startswith(b"%PDF-"):
        raise SigningError("This file is not a PDF.")
    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        encrypted = reader.is_encrypted
        # the tree's count, not len(reader.pages): that would read every page object
        pages = 0 if encrypted else int(reader.trailer["/Root"]["/Pages"]["/Count"])
    except Exception:  # noqa: BLE001 - pypdf's many errors on a broken file: one message
        raise SigningError("This PDF could not be read: it may be damaged.") from None
    if encrypted:
        raise SigningError("This PDF is encrypted: send a copy without a password.")
    if pages == 0:
        raise SigningError("This PDF has no pages.")
    return reader


def _writer(pdf: bytes) -> IncrementalPdfFileWriter:
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception:  # noqa: BLE001 - see _reader
        raise SigningError("This PDF could not be read: it may be damaged.") from None
    if writer.prev.encrypted:
        raise SigningError("This PDF is encrypted: send a copy without a password.")
    return writer


def _seal(writer: IncrementalPdfFileWriter, keys: KeyMaterial, options: SealOptions) -> bytes:
    signer = pool_signer.signer_for(keys)
    timestamper = None
    if options.timestamp_url:
        from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

        timestamper = RequestsHTTPTimeStamper(
            options.timestamp_url, timeout=options.timestamp_timeout
        )
    field_name = _free_field_name(writer)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=options.reason or None,
        location=options.location or None,
        name=options.firm_name or None,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper,
        # an invisible field on the first page: pyHanko finds it without reading every page
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=0),
    )
    # no time-stamp server: the signature's size is known, no dry run each time
    reserved = None if timestamper else pool_signer.reserved_for(keys)
    out = io.BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=out, bytes_reserved=reserved)
    except OSError:  # the time-stamp server is down or refused: say so
        raise SigningError("The time-stamp server did not answer; try again later.") from None
    return out.getvalue()


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev, filled_status=None)}
    name, n = SEAL_FIELD, 1
    while name in taken:
        n += 1
        name = f"{SEAL_FIELD}{n}"
    return name


def _subject(cert_pem: bytes) -> str:
    cert: asn1_x509.Certificate = next(iter(load_certs_from_pemder_data(cert_pem)))
    return cert.subject.human_friendly
