"""Checking a seal: the last signature of a PDF against the firm's root (pool process)."""

from __future__ import annotations

import io

from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from taxportal.api import SealCheck


def check(pdf: bytes, root_pem: bytes) -> SealCheck:
    """The last seal of ``pdf``: intact, valid, trusted (chains to ``root_pem``), covering
    the whole file. Never raises for a bad file: the check says what failed."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        seals = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - any parse failure means: not a sealed PDF we can read
        return _failed("The file cannot be read as a PDF.")
    if not seals:
        return _failed("The file carries no seal.")
    roots = list(load_certs_from_pemder_data(root_pem))
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    try:
        # the same context for the time-stamp token: no system trust store to load (15 ms);
        # the token is checked for integrity, its authority is not required to be trusted
        status = validate_pdf_signature(seals[-1], context, context)
    except Exception:  # noqa: BLE001 - a damaged signature dictionary is a failed seal
        return _failed("The seal cannot be read: the file was changed.")
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    stamp = status.timestamp_validity
    timestamped = stamp is not None and stamp.intact and stamp.valid
    intact, valid, trusted = status.intact, status.valid, status.trusted
    return SealCheck(
        intact,
        valid,
        trusted,
        whole,
        _summary(intact, valid, trusted, whole, timestamped),
        timestamped,
    )


def _summary(intact: bool, valid: bool, trusted: bool, whole: bool, timestamped: bool) -> str:
    if intact and valid and trusted and whole:
        kind = "time-stamped (PAdES B-T)" if timestamped else "PAdES B-B"
        return f"Sealed by the firm over the whole file, unchanged since, {kind}."
    if not intact:
        return "The file was changed after it was sealed."
    if not valid:
        return "The seal's signature is not valid."
    if not trusted:
        return "The seal's certificate does not chain to the firm's root."
    return "Something was added to the file after it was sealed."


def _failed(summary: str) -> SealCheck:
    return SealCheck(False, False, False, False, summary)
