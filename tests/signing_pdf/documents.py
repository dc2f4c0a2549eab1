"""Test PDFs made here: plain pages of text, a Form 8879-like page with its printed
signature lines, a page with signature fields named for the taxpayer and the spouse."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields
from pypdf import PdfWriter
from pypdf.generic import (
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
)

LETTER = (612, 792)
# the 8879-like page's lines: label at (x, baseline y), "Date" label further right
TAXPAYER_LINE = (72, 300)
SPOUSE_LINE = (72, 240)
DATE_X = 430


def _text(x: float, y: float, text: str, size: int = 10) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"BT /F1 {size} Tf {x} {y} Td ({escaped}) Tj ET\n".encode("cp1252")


def _page(writer: PdfWriter, content: bytes) -> None:
    page = writer.add_blank_page(*LETTER)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(content)
    page[NameObject("/Contents")] = writer._add_object(stream)


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def text_page(number: int) -> bytes:
    lines = [_text(72, 720, f"Form 1040 (sample) - page {number}", 14)]
    lines += [
        _text(72, 690 - 14 * i, f"Line {i + 1}: wages, salaries, tips ... {1000 * i}")
        for i in range(40)
    ]
    return b"".join(lines)


def plain_document(pages: int = 2) -> bytes:
    """A return of ``pages`` pages of text, nothing to sign on."""
    writer = PdfWriter()
    for number in range(1, pages + 1):
        _page(writer, text_page(number))
    return _bytes(writer)


def form_8879_content() -> bytes:
    parts = [
        _text(72, 720, "Form 8879 IRS e-file Signature Authorization (sample)", 14),
        _text(72, 680, "Part II Taxpayer Declaration and Signature Authorization"),
        _text(72, 400, "Under penalties of perjury, I declare that I have examined a copy of my"),
        _text(72, 386, "electronic individual income tax return and accompanying schedules."),
        _text(*TAXPAYER_LINE, "Your signature"),
        _text(DATE_X, TAXPAYER_LINE[1], "Date"),
        _text(*SPOUSE_LINE, "Spouse's signature"),
        _text(DATE_X, SPOUSE_LINE[1], "Date"),
        # the printed lines themselves
        b"0.5 w 160 298 m 420 298 l S 180 238 m 420 238 l S\n",
    ]
    return b"".join(parts)


def form_8879(return_pages: int = 0) -> bytes:
    """``return_pages`` pages of a return, then an 8879-like page."""
    writer = PdfWriter()
    for number in range(1, return_pages + 1):
        _page(writer, text_page(number))
    _page(writer, form_8879_content())
    return _bytes(writer)


TAXPAYER_FIELD = (0, 100, 500, 300, 540)  # page, x0, y0, x1, y1
SPOUSE_FIELD = (0, 320, 500, 520, 540)


def with_signature_fields() -> bytes:
    """One page with two empty signature fields, "TaxpayerSignature" and "SpouseSignature"."""
    base = plain_document(1)
    writer = IncrementalPdfFileWriter(io.BytesIO(base))
    for name, (page, *box) in (
        ("TaxpayerSignature", TAXPAYER_FIELD),
        ("SpouseSignature", SPOUSE_FIELD),
    ):
        fields.append_signature_field(
            writer, fields.SigFieldSpec(sig_field_name=name, on_page=page, box=tuple(box))
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted() -> bytes:
    writer = PdfWriter()
    _page(writer, text_page(1))
    writer.encrypt("secret")
    return _bytes(writer)
