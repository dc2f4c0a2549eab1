"""Where each signer's mark goes, in this order: the PDF's signature field for that role,
a printed signature line (Form 8879's "Your signature" / "Spouse's signature"), the box
the preparer chose, a signature block at the foot of the last page.

A field is the role's when its full name (``/T`` up the parent chain, lower-cased)
contains "spouse" (spouse) or else "taxpayer" (taxpayer): "Spouse", "spouse_sig",
"f8879.TaxpayerSignature". Nothing is written here: pypdf reads the pages (its parser is
about three times as fast as pyHanko's, which then touches only the pages drawn on, by
their object numbers) and extracts text with positions only from the pages whose content
says "signature" (a 50-page return costs one page's extraction, not fifty)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
)

from taxportal.api import PlacementBox, SignatureMark

# the printed label of each role's line; Form 8879 (2023-2025) prints these
LABELS = {
    "taxpayer": ("your signature", "taxpayer's signature", "taxpayer’s signature"),
    "spouse": ("spouse's signature", "spouse’s signature"),
}
GLYPH_WIDTH = 0.5  # average Helvetica/Times glyph width in em: where a label ends
LINE_TOLERANCE = 3.0  # points: two pieces of text within this are on one line
LINE_HEIGHT = 26.0  # the drawn signature's height on a printed line
DEFAULT_LINE_WIDTH = 200.0
BLOCK = (200.0, 46.0)  # width and height of a signature block at the foot of a page
MARGIN = 54.0
INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")  # from the page tree
MAX_DEPTH = 32  # page trees and field parents are shallow; a loop in a broken file is cut
# "signature" inside a content stream, even split by a TJ kerning number: "(sig)-20(nature)"
_SIGNATURE_BYTES = re.compile(
    rb"(?i)" + rb"(?:\)\s*-?[\d.]+\s*\()?".join(re.escape(bytes([c])) for c in b"signature")
)


@dataclass(frozen=True)
class Spot:
    """A mark's place: the box for the drawing, where its date goes, and why there."""

    role: str
    box: PlacementBox
    how: str  # "field" | "label" | "chosen" | "block"
    page_ref: tuple[int, int]  # the page's object number and generation
    date_at: tuple[float, float] | None = None  # baseline start of the date, for a label
    # the page's /Rotate, for a mark that must read upright as the page is shown (a label's
    # mark follows its label's text instead, so it stays 0)
    rotate: int = 0


@dataclass(frozen=True)
class _Page:
    index: int
    ref: tuple[int, int]
    obj: PageObject
    box: tuple[float, float, float, float]  # left, bottom, right, top (CropBox or MediaBox)
    rotate: int  # 0, 90, 180 or 270: how the page is turned when shown


def plan(reader: PdfReader, marks: Iterable[SignatureMark]) -> list[Spot]:
    """One spot per mark, by the rule in the module's docstring."""
    marks = list(marks)
    pages = _Pages(reader)
    roles = {m.role for m in marks}
    fields = signature_fields(reader, pages) if roles else {}
    missing = roles - set(fields)
    # from the last page back: an 8879 closes the package more often than not, and the
    # pages before the last label are then never read
    labels = printed_lines(pages.from_end(), missing) if missing else {}
    spots = []
    for mark in marks:
        if mark.role in fields:
            box, ref = fields[mark.role]
            rotate = pages.at(box.page).rotate
            spots.append(Spot(mark.role, box, "field", ref, rotate=rotate))
        elif mark.role in labels:
            box, date_at, ref = labels[mark.role]
            spots.append(Spot(mark.role, box, "label", ref, date_at))
        elif mark.box is not None and _fits(pages, mark.box):
            page = pages.at(mark.box.page)
            spots.append(Spot(mark.role, mark.box, "chosen", page.ref, rotate=page.rotate))
        else:
            last = pages.last()
            box = block_box(last, mark.role)
            spots.append(Spot(mark.role, box, "block", last.ref, rotate=last.rotate))
    return spots


def signature_fields(
    reader: PdfReader, pages: _Pages
) -> dict[str, tuple[PlacementBox, tuple[int, int]]]:
    """The first signature field widget of each role, by the field's full name."""
    if "/AcroForm" not in reader.trailer["/Root"]:
        return {}
    found: dict[str, tuple[PlacementBox, tuple[int, int]]] = {}
    for page in pages.all():
        for annot in _annotations(page.obj):
            if _get(annot, "/Subtype") != "/Widget" or _field_type(annot) != "/Sig":
                continue
            role = _role_of(_full_name(annot).lower())
            if role and role not in found and "/Rect" in annot:
                x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
                box = PlacementBox(page.index, min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))
                found[role] = (box, page.ref)
    return found


def printed_lines(
    pages: Iterable[_Page], roles: set[str]
) -> dict[str, tuple[PlacementBox, tuple[float, float], tuple[int, int]]]:
    """Each role's printed signature line: the box right of its label (up to a "Date"
    label on the same line, if any), where the date goes, and the page."""
    found: dict[str, tuple[PlacementBox, tuple[float, float], tuple[int, int]]] = {}
    for page in pages:
        if not _may_hold_signature_text(page.obj):
            continue
        pieces = _text_pieces(page.obj)
        for role in sorted(roles - set(found)):
            hit = _find_label(pieces, LABELS[role])
            if hit is not None:
                found[role] = (*_line_after(page, hit, pieces), page.ref)
        if found.keys() >= roles:
            break
    return found


def block_box(page: _Page, role: str) -> PlacementBox:
    """A signature block at the foot of the last page as it is shown (a ``/Rotate`` page
    is turned first): the taxpayer's on the left, the spouse's on the right."""
    left, bottom, right, top = page.box
    width, height = BLOCK
    shown_width = right - left if page.rotate in (0, 180) else top - bottom
    dx = MARGIN if role == "taxpayer" else max(MARGIN, shown_width - MARGIN - width)
    dy = MARGIN
    # the frame drawing.py turns back to upright, by where the shown page's corner lies
    if page.rotate == 90:
        return PlacementBox(page.index, right - dy - height, bottom + dx, height, width)
    if page.rotate == 180:
        return PlacementBox(page.index, right - dx - width, top - dy - height, width, height)
    if page.rotate == 270:
        return PlacementBox(page.index, left + dy, top - dx - width, height, width)
    return PlacementBox(page.index, left + dx, bottom + dy, width, height)


# --- pages ----------------------------------------------------------------------------------


class _Pages:
    """The document's pages, read only as far as needed: pypdf's list of pages reads every
    page object (about 0.1 ms each), a walk from the end only those it passes."""

    def __init__(self, reader: PdfReader) -> None:
        self.reader = reader
        self._all: list[_Page] | None = None

    def all(self) -> list[_Page]:
        if self._all is None:
            self._all = [_page(i, p, p) for i, p in enumerate(self.reader.pages)]
        return self._all

    def at(self, index: int) -> _Page:
        return self.all()[index]

    def count(self) -> int:
        return len(self._all) if self._all is not None else int(self._root()["/Count"])

    def last(self) -> _Page:
        return next(iter(self.from_end()))

    def from_end(self) -> Iterator[_Page]:
        """Pages from the last to the first, each with what it inherits from the tree."""
        root = self._root()
        remaining = int(root["/Count"])

        def walk(node: DictionaryObject, ref: Any, inherited: dict, depth: int) -> Iterator[_Page]:
            nonlocal remaining
            if depth > MAX_DEPTH:
                return
            inherited = {**inherited, **{k: node.raw_get(k) for k in INHERITED if k in node}}
            if "/Kids" in node:
                for kid in reversed(node["/Kids"]):
                    child = kid.get_object() if isinstance(kid, IndirectObject) else None
                    if isinstance(child, DictionaryObject):
                        yield from walk(child, kid, inherited, depth + 1)
                return
            remaining -= 1
            page = PageObject(self.reader, ref)
            page.update(node)
            for key, value in inherited.items():
                if key not in page:
                    page[NameObject(key)] = value
            yield _page(remaining, page, page)

        yield from walk(root, None, {}, 0)

    def _root(self) -> DictionaryObject:
        return self.reader.trailer["/Root"]["/Pages"]


def _page(index: int, page: PageObject, boxed: PageObject) -> _Page:
    box = boxed.cropbox if "/CropBox" in boxed else boxed.mediabox
    ref = page.indirect_reference
    if ref is None:  # a page that is not an indirect object cannot be updated in place
        raise ValueError("a page without an object number")
    try:
        rotate = int(boxed["/Rotate"]) % 360 if "/Rotate" in boxed else 0
    except (TypeError, ValueError):
        rotate = 0
    return _Page(
        index,
        (ref.idnum, ref.generation),
        page,
        (float(box.left), float(box.bottom), float(box.right), float(box.top)),
        rotate if rotate in (90, 180, 270) else 0,
    )


def _fits(pages: _Pages, box: PlacementBox) -> bool:
    """The preparer's box is on a page of this document and at least partly on it."""
    if not 0 <= box.page < pages.count() or box.width <= 0 or box.height <= 0:
        return False
    left, bottom, right, top = pages.at(box.page).box
    inside_x = box.x < right and box.x + box.width > left
    return inside_x and box.y < top and box.y + box.height > bottom


# --- text -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    text: str
    x: float
    y: float
    size: float


def _may_hold_signature_text(page: PageObject) -> bool:
    """The page's decoded content streams mention "signature" (the streams' bytes only:
    pypdf's ``get_contents`` would parse every operator of every page)."""
    try:
        contents = _get(page, "/Contents")
        streams = contents if isinstance(contents, ArrayObject) else [contents]
        for stream in streams:
            resolved = stream.get_object() if stream is not None else None
            if isinstance(resolved, StreamObject) and _SIGNATURE_BYTES.search(resolved.get_data()):
                return True
    except Exception:  # noqa: BLE001 - an unreadable page simply holds no label for us
        return False
    return False


def _text_pieces(page: PageObject) -> list[_Piece]:
    """Text pieces of one page with their positions (pypdf's extraction)."""
    pieces: list[_Piece] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if not text.strip():
            return
        # text space to user space: the text matrix times the current transformation
        a, b, c, d, e, f = cm
        x = tm[4] * a + tm[5] * c + e
        y = tm[4] * b + tm[5] * d + f
        scale = (tm[0] * a + tm[1] * c) or 1.0
        pieces.append(_Piece(text, x, y, abs(size * scale)))

    try:
        page.extract_text(visitor_text=visit)
    except Exception:  # noqa: BLE001 - text we cannot read holds no label for us
        return []
    return pieces


def _find_label(pieces: list[_Piece], labels: tuple[str, ...]) -> tuple[_Piece, float] | None:
    """The piece holding a label, and the x where the label ends."""
    for piece in pieces:
        lowered = piece.text.lower()
        for label in labels:
            at = lowered.find(label)
            if at >= 0:
                end = piece.x + (at + len(label)) * GLYPH_WIDTH * piece.size
                return piece, end
    return None


def _line_after(
    page: _Page, hit: tuple[_Piece, float], pieces: list[_Piece]
) -> tuple[PlacementBox, tuple[float, float]]:
    label, end = hit
    right = page.box[2]
    x0 = end + 8  # past the label and its arrow
    dates = [
        p
        for p in pieces
        if abs(p.y - label.y) <= LINE_TOLERANCE
        and p.x > x0
        and p.text.strip().lower().startswith("date")
    ]
    if dates:
        date = min(dates, key=lambda p: p.x)
        x1 = date.x - 6
        date_at = (date.x + 4 * GLYPH_WIDTH * date.size + 8, label.y)
    else:
        x1 = min(x0 + DEFAULT_LINE_WIDTH, right - 18)
        date_at = (x1 + 6, label.y)
    if x1 - x0 < 60:  # a line too short to be the place: take a plain width
        x1 = x0 + DEFAULT_LINE_WIDTH / 2
    return PlacementBox(page.index, x0, label.y - 2, x1 - x0, LINE_HEIGHT), date_at


# --- fields -------------------------------------------------------------------------------------


def _get(obj: DictionaryObject, key: str) -> PdfObject | None:
    return obj[key] if key in obj else None


def _annotations(page: DictionaryObject) -> list[DictionaryObject]:
    annots = _get(page, "/Annots")
    if not isinstance(annots, ArrayObject):
        return []
    resolved = [a.get_object() for a in annots]
    return [a for a in resolved if isinstance(a, DictionaryObject)]


def _parents(annot: DictionaryObject) -> Iterator[DictionaryObject]:
    node: PdfObject | None = annot
    for _ in range(MAX_DEPTH):
        if not isinstance(node, DictionaryObject):
            return
        yield node
        node = _get(node, "/Parent")


def _field_type(annot: DictionaryObject) -> str | None:
    for node in _parents(annot):
        if "/FT" in node:
            return str(node["/FT"])
    return None


def _full_name(annot: DictionaryObject) -> str:
    return ".".join(reversed([str(n["/T"]) for n in _parents(annot) if "/T" in n]))


def _role_of(name: str) -> str | None:
    if "spouse" in name:
        return "spouse"
    if "taxpayer" in name:
        return "taxpayer"
    return None
