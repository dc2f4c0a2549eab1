"""Is this file a real, readable, unencrypted PDF? Judged by its content with pypdf.

``inspect`` is blocking (pypdf parses the whole file): callers run it off the event loop.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pypdf import PdfReader

from taxportal import file_types

HEAD_BYTES = file_types.SNIFF_BYTES  # what looks_like_pdf needs to judge
TAIL_BYTES = 1024  # readers accept %%EOF within the last KB, as Acrobat does
# pypdf logs every repair it makes; the refusal we raise is the one message that matters
logging.getLogger("pypdf").setLevel(logging.ERROR)


class PdfProblem(Exception):
    """Why a file is not accepted as a PDF; ``kind`` says which problem, ``message`` says it."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "empty" | "not_pdf" | "encrypted" | "broken"
        self.message = message


def looks_like_pdf(head: bytes) -> bool:
    """Whether the first ``HEAD_BYTES`` (or the whole, shorter, file) are a PDF's."""
    return file_types.sniff(head) == "pdf"


def inspect(path: Path) -> int:
    """The page count of the PDF at ``path``, or PdfProblem saying why it is refused."""
    size = path.stat().st_size
    if size == 0:
        raise PdfProblem("empty", "The file is empty.")
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        handle.seek(max(0, size - TAIL_BYTES))
        tail = handle.read()
    if not looks_like_pdf(head):
        raise PdfProblem("not_pdf", "This file is not a PDF (judged by its content, not its name).")
    if b"%%EOF" not in tail:
        raise PdfProblem("broken", "This PDF is incomplete (it was cut off): export it again.")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise PdfProblem(
                "encrypted",
                "This PDF is encrypted or password-protected: save it without a password.",
            )
        pages = len(reader.pages)
        for page in reader.pages:  # every page object must resolve, not only the count
            _ = page.mediabox
    except PdfProblem:
        raise
    except Exception:  # noqa: BLE001 (pypdf raises many kinds on damaged files: all "broken")
        raise PdfProblem(
            "broken", "This PDF is damaged and cannot be read: export it again."
        ) from None
    if pages == 0:
        raise PdfProblem("broken", "This PDF has no pages.")
    return pages
