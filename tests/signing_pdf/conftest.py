"""Fixtures for the signing plugin: the firm's keys once per run, a signer built through the
facade (the firm's PKCS#12, so no database is needed) and started once per module, the
pages rendered by poppler, and an RFC 3161 time-stamp server on loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import load_pem_x509_certificate
from PIL import Image

from taxportal.api import CertificateEntry, CertificateEvent, SignatureMark, SigningTask
from taxportal.testing.plugins import plugins_with
from taxportal_signing_pdf.keys import NewFirmKeys, make_firm_keys

PASSPHRASE = "pässphrase-of-the-firm"
SIGNED_AT = dt.datetime(2026, 4, 15, 17, 3, 22, tzinfo=dt.UTC)
VIEWED_AT = dt.datetime(2026, 4, 15, 16, 58, 1, tzinfo=dt.UTC)
NAMES = {"taxpayer": "Jane Q. Núñez", "spouse": "John R. Núñez"}


@pytest.fixture(scope="session")
def firm_keys() -> NewFirmKeys:
    return make_firm_keys("Evans Tax Service")


@pytest.fixture(scope="session")
def pkcs12_path(firm_keys: NewFirmKeys, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The firm's own PKCS#12 (key, certificate, root), as a firm would configure it."""
    material = firm_keys.material
    key = serialization.load_pem_private_key(material.signing_key_pem, None)
    data = pkcs12.serialize_key_and_certificates(
        b"firm",
        key,  # type: ignore[arg-type]
        load_pem_x509_certificate(material.signing_cert_pem),
        [load_pem_x509_certificate(material.root_cert_pem)],
        serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    )
    path = tmp_path_factory.mktemp("firm") / "firm.p12"
    path.write_bytes(data)
    return path


async def build_signer(data_dir: Path, pkcs12: Path, **settings: Any) -> Any:
    """The signer the core would pick and start, with the firm's PKCS#12."""
    plugins = await plugins_with(
        data_dir,
        "signing_pdf",
        {"pkcs12_path": str(pkcs12), **settings},
        TAXPORTAL_SIGNING_PDF__PKCS12_PASSPHRASE=PASSPHRASE,
        TAXPORTAL_FIRM__NAME="Evans Tax Service",
    )
    signer = plugins.signer
    assert signer is not None
    await signer.start()
    return signer


@pytest.fixture(scope="module")
def signer(pkcs12_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Started once per module: its pool processes are independent of any event loop."""
    data_dir = tmp_path_factory.mktemp("data")
    started = asyncio.run(build_signer(data_dir, pkcs12_path, pool_size=2))
    yield started
    asyncio.run(started.close())


def mark(role: str, png: bytes, box: Any = None) -> SignatureMark:
    return SignatureMark(role, NAMES[role], png, SIGNED_AT, box)  # type: ignore[arg-type]


def entry(role: str) -> CertificateEntry:
    return CertificateEntry(
        role=role,  # type: ignore[arg-type]
        name=NAMES[role],
        masked_contact="j***@example.com" if role == "taxpayer" else "(***) ***-0142",
        viewed_at=VIEWED_AT,
        signed_at=SIGNED_AT,
        ip="203.0.113.9" if role == "taxpayer" else "198.51.100.23",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15",
        identity_method="one-time code by email + 2 knowledge questions",
        identity_result="passed",
    )


def task(pdf: bytes, *marks: SignatureMark, name: str = "Form 8879.pdf") -> SigningTask:
    events = [CertificateEvent(VIEWED_AT - dt.timedelta(days=1), "sent", "preparer")]
    for m in marks:
        events += [
            CertificateEvent(VIEWED_AT, "viewed", m.role),
            CertificateEvent(SIGNED_AT - dt.timedelta(seconds=30), "identity verified", m.role),
            CertificateEvent(SIGNED_AT, "signed", m.role),
        ]
    return SigningTask(
        document_name=name,
        pdf=pdf,
        marks=list(marks),
        certificate=[entry(m.role) for m in marks],
        sha256_as_sent=hashlib.sha256(pdf).hexdigest(),
        document_id="doc-4711",
        events=events,
    )


# --- what a reader sees -------------------------------------------------------------------

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="poppler-utils is not installed"
)


def render(pdf: bytes, page: int, tmp_path: Path) -> Image.Image:
    """Page ``page`` (0-based) as poppler draws it, in gray, at 72 dpi: a pixel is a point."""
    source = tmp_path / f"render-{hashlib.sha256(pdf).hexdigest()[:12]}.pdf"
    source.write_bytes(pdf)
    target = source.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "72",
            "-gray",
            "-png",
            "-f",
            str(page + 1),
            "-l",
            str(page + 1),
            "-singlefile",
            str(source),
            str(target),
        ],
        check=True,
        capture_output=True,
    )
    with Image.open(target.with_suffix(".png")) as image:
        return image.convert("L")


def dark_pixels(image: Image.Image, box: Any, page_height: float) -> int:
    """Dark pixels inside ``box`` (PDF points, origin bottom-left) of a 72 dpi render."""
    top = round(page_height - (box.y + box.height))
    area = image.crop((round(box.x), top, round(box.x + box.width), round(page_height - box.y)))
    return sum(area.histogram()[:128])


def pdf_text(pdf: bytes, page: int, tmp_path: Path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(page + 1), "-l", str(page + 1), str(source), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
