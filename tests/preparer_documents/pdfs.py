"""PDFs and not-PDFs for the tests, made with pypdf's writer (real files, not fixtures on disk)."""

from __future__ import annotations

import io

from pypdf import PdfWriter

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x01" * 300
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500


def pdf(pages: int = 1, title: str = "Form 1040") -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.encrypt(user_password="", owner_password="owner secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    whole = pdf(3)
    return whole[: len(whole) // 2]


def damaged_pdf() -> bytes:
    """Starts and ends like a PDF, but there is no document in between."""
    return b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 20 + b"%%EOF\n"
