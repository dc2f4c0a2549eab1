"""Where each signer's mark goes, in this order: the PDF's signature field for that role,
a printed signature line (Form 8879's "Your signature" / "Spouse's signature"), the box
the preparer chose, a signature block at the foot of the last page.

A field is the role's when its full name (``/T`` up the parent chain, lower-cased)
contains "spouse" (spouse) or else "taxpayer" (taxpayer): "Spouse", "spouse_sig",
"f8879.TaxpayerSignature". Only pypdf reads here; nothing is written."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

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
# "signature" inside a content stream, even split by a TJ kerning number: "(sig)-20(nature)";
# pages without it are not text-extracted (extraction is the slow part on a long return)
_SIGNATURE_BYTES = re.compile(
    rb"(?i)" + rb"(?:\)\s*-?[\d.]+\s*\()?".join(re.escape(bytes([c])) for c in b"signature")
)


@dataclass(frozen=True)
class Spot:
    """A mark's place: the box for the drawing, where its date goes, and why there."""

    role: str
    box: PlacementBox
    how: str  # "field" | "label" | "chosen" | "block"
    date_at: tuple[float, float] | None = None  # baseline start of the date, for a label


def plan(reader: PdfReader, marks: Iterable[SignatureMark]) -> list[Spot]:
    """One spot per mark, by the rule in the module's docstring."""
    marks = list(marks)
    roles = {m.role for m in marks}
    fields = signature_fields(reader) if roles else {}
    missing = roles - set(fields)
    labels = printed_lines(reader, missing) if missing else {}
    spots = []
    for mark in marks:
        if mark.role in fields:
            spots.append(Spot(mark.role, fields[mark.role], "field"))
        elif mark.role in labels:
            box, date_at = labels[mark.role]
            spots.append(Spot(mark.role, box, "label", date_at))
        elif mark.box is not None and _fits(reader, mark.box):
            spots.append(Spot(mark.role, mark.box, "chosen"))
        else:
            spots.append(Spot(mark.role, block_box(reader, mark.role), "block"))
    return spots


def signature_fields(reader: PdfReader) -> dict[str, PlacementBox]:
    """The first signature field widget of each role, by the field's full name."""
    if "/AcroForm" not in reader.trailer["/Root"]:
        return {}
    found: dict[str, PlacementBox] = {}
    for index, page in enumerate(reader.pages):
        for annot in _annotations(page):
            if annot.get("/Subtype") != "/Widget" or _field_type(annot) != "/Sig":
                continue
            role = _role_of(_full_name(annot).lower())
            if role and role not in found:
                x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
                found[role] = PlacementBox(
                    index, min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0)
                )
    return found


def printed_lines(
    reader: PdfReader, roles: set[str]
) -> dict[str, tuple[PlacementBox, tuple[float, float]]]:
    """Each role's printed signature line: the box right of its label (up to a "Date"
    label on the same line, if any) and where the date goes."""
    found: dict[str, tuple[PlacementBox, tuple[float, float]]] = {}
    for index, page in enumerate(reader.pages):
        if not _may_hold_signature_text(page):
            continue
        pieces = _text_pieces(page)
        for role in sorted(roles - set(found)):
            hit = _find_label(pieces, LABELS[role])
            if hit is not None:
                found[role] = _line_after(index, page, hit, pieces)
        if found.keys() >= roles:
            break
    return found


def block_box(reader: PdfReader, role: str) -> PlacementBox:
    """A signature block at the foot of the last page: the taxpayer's on the left, the
    spouse's on the right."""
    index = len(reader.pages) - 1
    left, bottom, right, _ = _page_box(reader.pages[index])
    width, height = BLOCK
    x = left + MARGIN if role == "taxpayer" else max(left + MARGIN, right - MARGIN - width)
    return PlacementBox(index, x, bottom + MARGIN, width, height)


# --- text -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    text: str
    x: float
    y: float
    size: float


def _may_hold_signature_text(page: DictionaryObject) -> bool:
    try:
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
    except Exception:  # noqa: BLE001 - an unreadable page simply holds no label
        return False
    return _SIGNATURE_BYTES.search(data) is not None


def _text_pieces(page: DictionaryObject) -> list[_Piece]:
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
    index: int, page: DictionaryObject, hit: tuple[_Piece, float], pieces: list[_Piece]
) -> tuple[PlacementBox, tuple[float, float]]:
    label, end = hit
    _, _, right, _ = _page_box(page)
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
    return PlacementBox(index, x0, label.y - 2, x1 - x0, LINE_HEIGHT), date_at


# --- fields and pages ---------------------------------------------------------------------


def _annotations(page: DictionaryObject) -> list[DictionaryObject]:
    annots = page.get("/Annots")
    if annots is None:
        return []
    annots = annots.get_object()
    if not isinstance(annots, ArrayObject):
        return []
    return [a.get_object() for a in annots if isinstance(a.get_object(), DictionaryObject)]


def _field_type(annot: DictionaryObject) -> str | None:
    node: DictionaryObject | None = annot
    for _ in range(32):  # a parent chain is short; a loop in a broken file is not followed
        if node is None:
            return None
        if "/FT" in node:
            return str(node["/FT"])
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return None


def _full_name(annot: DictionaryObject) -> str:
    parts: list[str] = []
    node: DictionaryObject | None = annot
    for _ in range(32):
        if node is None:
            break
        if "/T" in node:
            parts.append(str(node["/T"]))
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return ".".join(reversed(parts))


def _role_of(name: str) -> str | None:
    if "spouse" in name:
        return "spouse"
    if "taxpayer" in name:
        return "taxpayer"
    return None


def _page_box(page: DictionaryObject) -> tuple[float, float, float, float]:
    box = page.cropbox if "/CropBox" in page else page.mediabox
    return float(box.left), float(box.bottom), float(box.right), float(box.top)


def _fits(reader: PdfReader, box: PlacementBox) -> bool:
    """The preparer's box is on a page of this document and at least partly on it."""
    if not 0 <= box.page < len(reader.pages) or box.width <= 0 or box.height <= 0:
        return False
    left, bottom, right, top = _page_box(reader.pages[box.page])
    return (
        box.x < right and box.y < top and box.x + box.width > left and box.y + box.height > bottom
    )
