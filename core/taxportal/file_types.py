"""File types judged by content: the one table of magic bytes, and each kind's MIME type
and extensions. Uploads, the preparer's PDFs, the CSV import (which names a misplaced
file), download names and the configuration's [uploads] allowed_types all read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    kind: str  # as written in [uploads] allowed_types
    mime: str
    extensions: tuple[str, ...]  # the first is the one a name gets when it has none


TYPES = {
    t.kind: t
    for t in (
        FileType("pdf", "application/pdf", (".pdf",)),
        FileType("jpeg", "image/jpeg", (".jpg", ".jpeg", ".jpe")),
        FileType("png", "image/png", (".png",)),
        FileType("heic", "image/heic", (".heic", ".heif")),
        FileType("heif", "image/heif", (".heif", ".heic")),
        FileType("tiff", "image/tiff", (".tif", ".tiff")),
        FileType("zip", "application/zip", (".zip",)),
        FileType("xls", "application/vnd.ms-excel", (".xls",)),
        FileType("gif", "image/gif", (".gif",)),
        FileType("gzip", "application/gzip", (".gz",)),
    )
}
UPLOAD_KINDS = ("pdf", "jpeg", "png", "heic", "heif", "tiff")  # what a taxpayer may upload
ALIASES = {"jpg": "jpeg", "tif": "tiff"}  # other ways a firm may write a kind
# the first bytes of each kind (HEIC/HEIF: an ISO box "ftyp" and a brand, below)
SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"PK\x03\x04", "zip"),  # .xlsx and .docx too
    (b"\xd0\xcf\x11\xe0", "xls"),  # any old Office file
    (b"GIF8", "gif"),
    (b"\x1f\x8b", "gzip"),
)
HEIF_BRANDS = {b"heic": "heic", b"heix": "heic", b"hevc": "heic", b"mif1": "heif", b"msf1": "heif"}
SNIFF_BYTES = 12  # enough for every signature above


def sniff(head: bytes) -> str | None:
    """The kind of file its first bytes (``SNIFF_BYTES`` suffice) say it is, or None."""
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return HEIF_BRANDS.get(head[8:12])
    return None


def mime_type(kind: str) -> str:
    return TYPES[kind].mime


def upload_kind(written: str) -> str | None:
    """An uploadable kind as a firm may write it: "jpeg", "JPG" or "image/jpeg"; else None."""
    name = written.strip().lower()
    name = ALIASES.get(name, name)
    if name not in TYPES:
        name = next((t.kind for t in TYPES.values() if t.mime == name), name)
    return name if name in UPLOAD_KINDS else None


def extensions(content_type: str) -> tuple[str, ...] | None:
    """The extensions that name a MIME type (parameters ignored), or None if not ours."""
    mime = content_type.split(";")[0].strip().lower()
    return next((t.extensions for t in TYPES.values() if t.mime == mime), None)
