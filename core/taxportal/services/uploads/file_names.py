"""The names files are handed out under (a download's header, a zip's members): one plain
file name on any system, ending with the extension of the type its content was judged to
be, so a PDF named "W-2 2025.bat" or "page.html" never opens as one."""

from __future__ import annotations

import unicodedata

from taxportal import file_types

NAME_BYTES = 200  # most file systems allow 255 bytes per name: keep room for " (12)"
SEPARATORS = frozenset("/\\")
WINDOWS_RESERVED = frozenset('/\\:*?"<>|')  # path separators, and what Windows refuses


def typed_name(name: str, content_type: str) -> str:
    """``name`` with the content type's extension appended unless it already ends with one
    (any letter case): "page.html" -> "page.html.pdf", "scan.JPEG" stays. Unknown types
    are left alone (they are sent as application/octet-stream)."""
    extensions = file_types.extensions(content_type)
    if extensions is None or name.casefold().endswith(extensions):
        return name
    return name + extensions[0]


def safe_name(
    name: str,
    content_type: str = "",
    *,
    reserved: frozenset[str] = SEPARATORS,
    fallback: str = "file",
) -> str:
    """The one file-name sanitiser: NFC, without controls or bidi/format characters
    (category C: U+202E cannot turn "fdp.exe" around), ``reserved`` characters as "_", no
    leading or trailing dots or spaces, ending with the extension of ``content_type``, at
    most ``NAME_BYTES`` of UTF-8 (a longer name is cut before its extension). Downloads
    keep all but the separators (the header encodes the rest); a zip's members pass
    ``WINDOWS_RESERVED``."""
    name = "".join(
        "_" if c in reserved else c
        for c in unicodedata.normalize("NFC", name)
        if unicodedata.category(c)[0] != "C"
    ).strip(". ")
    name = typed_name(name or fallback, content_type)
    if len(name.encode()) > NAME_BYTES:
        _, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and 0 < len(ext.encode()) <= 16 else ""
        stem = name[: len(name) - len(ext)]
        while len((stem + ext).encode()) > NAME_BYTES:
            stem = stem[:-1]
        name = stem.rstrip(". ") + ext
    return name
