"""Where a page may send the taxpayer next: a path of this site, never another site."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

DEFAULT = "/portal/preparer-files"


def same_site_path(value: str | None, default: str = DEFAULT) -> str:
    """``value`` when it is a path of this site under /portal/, else ``default``.

    Refused: anything with a scheme or host (``https://x``, ``//x``), a backslash (browsers
    read ``/\\x`` as ``//x``), control characters or spaces, overlong values, and a dot
    segment, even percent-encoded (browsers read ``/portal/../staff`` as ``/staff``)."""
    text = value or ""
    if (
        not text.startswith("/portal/")
        or len(text) > 512
        or "\\" in text
        or any(ch <= " " or ch == "\x7f" for ch in text)
    ):
        return default
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or not parts.path.startswith("/portal/"):
        return default
    if any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        return default
    return text
