"""Where the preparer chose to put a signer's signature (issue 11), checked when sent.

The signing plugin uses a chosen box only when the PDF has neither a signature field nor a
printed signature line for that signer; without a choice a signature block goes on the last
page. A choice is a page (counted from 1, as a reader shows it) with either a preset corner
("bottom right", ...) or a box in PDF points (``x``, ``y`` of the lower-left corner, in the
page's own coordinates before any ``/Rotate``). Either way it is checked against the real
page, read from the stored PDF with pypdf off the event loop, and stored as a
``contracts.PlacementBox`` (page 0-based) on the signature request.
"""

from __future__ import annotations

import asyncio
import io
import math
from dataclasses import dataclass

from pypdf import PdfReader

from taxportal.contracts import PlacementBox

# a preset's size and its distance from the page's edges (the plugin's own block is 200 x 46)
PRESET_SIZE = (200.0, 46.0)
MARGIN = 54.0
PRESETS = {
    "bottom_left": "Bottom left",
    "bottom_right": "Bottom right",
    "top_left": "Top left",
    "top_right": "Top right",
}
# a drawn signature smaller than this is unreadable, larger ones cover the page
WIDTH = (36.0, 600.0)
HEIGHT = (12.0, 300.0)


class BoxProblem(ValueError):
    """Why a chosen box was refused; ``message`` is shown to the preparer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Chosen:
    """A box as the preparer asked for it: ``page`` from 1; a ``preset`` or x/y/width/height."""

    page: int
    preset: str = ""
    x: float | None = None
    y: float | None = None
    width: float | None = None
    height: float | None = None


@dataclass(frozen=True)
class PageShape:
    """A page's visible area (CropBox, else MediaBox: left, bottom, right, top) and /Rotate."""

    left: float
    bottom: float
    right: float
    top: float
    rotate: int = 0


def check_page(chosen: Chosen, pages: int, who: str) -> None:
    """The page exists in a document of ``pages`` pages (no file read)."""
    if not 1 <= chosen.page <= pages:
        raise BoxProblem(
            f"The {who}'s signature cannot go on page {chosen.page}: "
            f"the document has {pages} page{'' if pages == 1 else 's'}."
        )
    if chosen.preset and chosen.preset not in PRESETS:
        raise BoxProblem(f"Unknown place {chosen.preset[:40]!r} for the {who}'s signature.")


def resolve(chosen: Chosen, shape: PageShape, who: str) -> PlacementBox:
    """The box to store, or BoxProblem: a preset placed on the page as it is shown, or the
    given box, which must lie wholly on the page and be of a sane size."""
    if chosen.preset:
        return _preset(chosen.page - 1, chosen.preset, shape)
    values = (chosen.x, chosen.y, chosen.width, chosen.height)
    if any(v is None for v in values):
        raise BoxProblem(f"Give the {who}'s box as x, y, width and height, or a preset place.")
    x, y, width, height = (float(v) for v in values)  # type: ignore[arg-type]
    if not all(math.isfinite(v) and v >= 0 for v in (x, y, width, height)):
        raise BoxProblem(f"The {who}'s box must be given in finite, non-negative points.")
    # sizes as the page is shown: a page turned a quarter shows the box's height as its width
    shown = (height, width) if shape.rotate in (90, 270) else (width, height)
    if not (WIDTH[0] <= shown[0] <= WIDTH[1] and HEIGHT[0] <= shown[1] <= HEIGHT[1]):
        raise BoxProblem(
            f"The {who}'s box must be {WIDTH[0]:g} to {WIDTH[1]:g} points wide and "
            f"{HEIGHT[0]:g} to {HEIGHT[1]:g} points high, as the page is shown."
        )
    inside = (
        shape.left <= x
        and x + width <= shape.right
        and shape.bottom <= y
        and y + height <= shape.top
    )
    if not inside:
        raise BoxProblem(
            f"The {who}'s box does not fit on page {chosen.page}, which spans "
            f"x {shape.left:g} to {shape.right:g} and y {shape.bottom:g} to {shape.top:g} points."
        )
    return PlacementBox(chosen.page - 1, x, y, width, height)


def _preset(index: int, preset: str, shape: PageShape) -> PlacementBox:
    """A preset corner of the page as shown (a ``/Rotate`` page turned first), in the page's
    own coordinates, as the plugin's signature block is placed."""
    width, height = PRESET_SIZE
    shown_w = shape.right - shape.left
    shown_h = shape.top - shape.bottom
    if shape.rotate in (90, 270):
        shown_w, shown_h = shown_h, shown_w
    # fit a small page: the box shrinks, the margin with it
    width, height = min(width, shown_w / 2), min(height, shown_h / 4)
    margin = min(MARGIN, shown_w / 8, shown_h / 8)
    dx = margin if preset.endswith("left") else shown_w - margin - width
    dy = margin if preset.startswith("bottom") else shown_h - margin - height
    left, bottom, right, top = shape.left, shape.bottom, shape.right, shape.top
    if shape.rotate == 90:
        return PlacementBox(index, right - dy - height, bottom + dx, height, width)
    if shape.rotate == 180:
        return PlacementBox(index, right - dx - width, top - dy - height, width, height)
    if shape.rotate == 270:
        return PlacementBox(index, left + dy, top - dx - width, height, width)
    return PlacementBox(index, left + dx, bottom + dy, width, height)


def page_shapes(pdf: bytes, indexes: set[int]) -> dict[int, PageShape]:
    """The shape of each 0-based page asked for (blocking: pypdf parses the file)."""
    reader = PdfReader(io.BytesIO(pdf), strict=False)
    shapes = {}
    for index in indexes:
        page = reader.pages[index]
        box = page.cropbox if "/CropBox" in page else page.mediabox
        try:
            rotate = int(page.get("/Rotate", 0)) % 360  # type: ignore[call-overload]
        except (TypeError, ValueError):
            rotate = 0
        shapes[index] = PageShape(
            float(min(box.left, box.right)),
            float(min(box.bottom, box.top)),
            float(max(box.left, box.right)),
            float(max(box.bottom, box.top)),
            rotate if rotate in (90, 180, 270) else 0,
        )
    return shapes


async def shapes_of(pdf: bytes, indexes: set[int]) -> dict[int, PageShape]:
    """``page_shapes`` on a worker thread."""
    return await asyncio.to_thread(page_shapes, pdf, indexes)
