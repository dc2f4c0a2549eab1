"""The name a file is handed out under: it ends with the extension of the type its content
was judged to be, so a PDF named "W-2 2025.bat" or "page.html" never opens as one."""

from __future__ import annotations

# content type -> the extensions that name it; the first is the one added when missing
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
    "image/png": (".png",),
    "image/heic": (".heic", ".heif"),
    "image/heif": (".heif", ".heic"),
    "image/tiff": (".tif", ".tiff"),
    "application/zip": (".zip",),
}


def typed_name(name: str, content_type: str) -> str:
    """``name`` with the content type's extension appended unless it already ends with one
    (any letter case): "page.html" -> "page.html.pdf", "scan.JPEG" stays. Unknown types
    are left alone (they are sent as application/octet-stream)."""
    extensions = EXTENSIONS.get(content_type.split(";")[0].strip().lower())
    if extensions is None or name.casefold().endswith(extensions):
        return name
    return name + extensions[0]
