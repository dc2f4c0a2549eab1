"""The one table of file types: magic bytes, MIME types, extensions, and how a firm names them."""

from __future__ import annotations

import pytest

from taxportal import file_types


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"%PDF", None),  # cut short of the dash: not judged a PDF
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"),
        (b"\x00\x00\x00\x18ftypheic", "heic"),
        (b"\x00\x00\x00\x18ftypmif1", "heif"),
        (b"\x00\x00\x00\x18ftypisom", None),  # an MP4
        (b"PK\x03\x04", "zip"),
        (b"GIF89a", "gif"),
        (b"name,ssn\n", None),
        (b"", None),
    ],
)
def test_sniff(head: bytes, kind: str | None) -> None:
    assert file_types.sniff(head) == kind


def test_every_kind_a_signature_names_has_a_type() -> None:
    kinds = {kind for _, kind in file_types.SIGNATURES} | set(file_types.HEIF_BRANDS.values())
    assert kinds <= set(file_types.TYPES)
    assert set(file_types.UPLOAD_KINDS) <= set(file_types.TYPES)


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("pdf", "pdf"),
        (" JPG ", "jpeg"),
        ("image/jpeg", "jpeg"),
        ("tif", "tiff"),
        ("image/heif", "heif"),
        ("gif", None),  # known, but not something a taxpayer may upload
        ("application/zip", None),
        ("exe", None),
    ],
)
def test_upload_kind(written: str, kind: str | None) -> None:
    assert file_types.upload_kind(written) == kind


def test_extensions() -> None:
    assert file_types.extensions("application/pdf; charset=binary") == (".pdf",)
    assert file_types.extensions("IMAGE/JPEG")[0] == ".jpg"  # type: ignore[index]
    assert file_types.extensions("text/html") is None
