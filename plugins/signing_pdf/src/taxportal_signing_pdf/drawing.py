"""Drawing marks (each signer's PNG and the date) onto the pages of the incremental writer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from taxportal.api import PlacementBox, SignatureMark
from taxportal_signing_pdf import pdf_text
from taxportal_signing_pdf.placement import Spot

MAX_PIXELS_HIGH = 160  # 4 pixels a point on the tallest box drawn (40 pt): about 300 dpi


def signature_image(rgba: Image.Image) -> Image.Image:
    """The drawing (decoded by the job's PNG check), cropped to its ink and scaled down to
    what a printed line shows."""
    image = rgba
    bbox = image.getchannel("A").point(lambda v: 255 if v > 16 else 0).getbbox()
    if bbox:
        image = image.crop(bbox)
    if image.height > MAX_PIXELS_HIGH:
        ratio = MAX_PIXELS_HIGH / image.height
        size = (max(1, round(image.width * ratio)), MAX_PIXELS_HIGH)
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def date_text(moment: dt.datetime) -> str:
    """The date printed beside a signature (US style), in UTC when the moment has a zone."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%m/%d/%Y")


def draw_page(
    writer: IncrementalPdfFileWriter,
    spots: Sequence[tuple[Spot, SignatureMark, generic.IndirectObject, Image.Image]],
    block_text: str,
) -> None:
    """Draw every mark of one page (``spots`` share it) in one content stream, after the
    page's own content wrapped in q ... Q (a transformation its author left in force
    cannot move ours). ``spots`` carry each drawing's image XObject, already written."""
    first = spots[0][0]
    prefix = f"Tp{first.box.page}"
    ops = [b"Q q\n"]  # closes the q put before the page's own content
    images: dict[str, generic.IndirectObject] = {}
    for spot, mark, image_ref, image in spots:
        name = f"{prefix}Sig{spot.role.capitalize()}"
        images[name] = image_ref
        ops.append(_mark_ops(spot, mark, image, name, prefix, block_text))
    ops.append(b"Q\n")
    resources = {
        "/XObject": {pdf_name(f"/{name}"): ref for name, ref in images.items()},
        "/Font": dict(pdf_text.font_resources(prefix)),
    }
    save = writer.add_object(generic.StreamObject(stream_data=b"q\n"))
    stream = writer.add_object(generic.StreamObject(stream_data=b"".join(ops)))
    page_ref = generic.IndirectObject(*first.page_ref, writer.prev)
    _wrap_page(writer, page_ref, save, stream, resources)


def _wrap_page(
    writer: IncrementalPdfFileWriter,
    page_ref: generic.IndirectObject,
    before: generic.IndirectObject,
    after: generic.IndirectObject,
    resources: dict[str, dict[generic.NameObject, generic.PdfObject]],
) -> None:
    """Put ``before`` and ``after`` around the page's content and add our resources, on
    the page object itself (found by its number: pyHanko's own helpers walk the page tree
    from the first page, which on a long return costs more than the whole seal)."""
    page = page_ref.get_object()
    if not isinstance(page, generic.DictionaryObject) or page.get("/Type") != "/Page":
        raise ValueError("not a page")
    contents = page.raw_get("/Contents") if "/Contents" in page else None
    resolved = contents.get_object() if contents is not None else None
    if isinstance(resolved, generic.ArrayObject):
        own = list(resolved)
    else:
        own = [contents] if contents is not None else []
    page[pdf_name("/Contents")] = generic.ArrayObject([before, *own, after])
    page[pdf_name("/Resources")] = _merged(_inherited_resources(page), resources)
    writer.mark_update(page_ref)


def _inherited_resources(page: generic.DictionaryObject) -> generic.DictionaryObject:
    node: generic.PdfObject | None = page
    for _ in range(32):
        if not isinstance(node, generic.DictionaryObject):
            break
        if "/Resources" in node:
            found = node["/Resources"]
            return (
                found if isinstance(found, generic.DictionaryObject) else generic.DictionaryObject()
            )
        node = node["/Parent"] if "/Parent" in node else None
    return generic.DictionaryObject()


def _merged(
    original: generic.DictionaryObject,
    ours: dict[str, dict[generic.NameObject, generic.PdfObject]],
) -> generic.DictionaryObject:
    """A new resource dictionary: the page's own (shared ones are left untouched) plus
    ours, under names of our own prefix."""
    merged = generic.DictionaryObject({k: original.raw_get(k) for k in original})
    for category, entries in ours.items():
        existing = original[category] if category in original else generic.DictionaryObject()
        combined = generic.DictionaryObject(
            {k: existing.raw_get(k) for k in existing}
            if isinstance(existing, generic.DictionaryObject)
            else {}
        )
        combined.update(entries)
        merged[pdf_name(category)] = combined
    return merged


def _mark_ops(
    spot: Spot, mark: SignatureMark, image: Image.Image, name: str, prefix: str, block_text: str
) -> bytes:
    """The drawing fitted into the box (left-aligned, its shape kept), then the date: on
    the printed line's date place, else with the signer's name under the drawing. On a
    page shown turned (``/Rotate``), drawn in a frame turned back, so it reads upright."""
    box = spot.box
    matrix, (width, height) = _upright_frame(box, spot.rotate)
    ops = [b"q %.4f %.4f %.4f %.4f %.3f %.3f cm\n" % matrix]
    caption = spot.how != "label"  # a printed line has its own "Date" place
    text_size = max(5.0, min(8.0, height * 0.2))
    reserved = text_size + 3 if caption else 0.0
    room = height - reserved
    scale = min(width / image.width, room / image.height)
    drawn_w, drawn_h = image.width * scale, image.height * scale
    bottom = reserved + (room - drawn_h) / 2
    ops.append(b"q %.3f 0 0 %.3f 0 %.3f cm /%s Do Q\n" % (drawn_w, drawn_h, bottom, name.encode()))
    when = date_text(mark.signed_at)
    ops.append(b"0 g\n")
    if not caption and spot.date_at is not None:
        x, y = spot.date_at
        ops.append(pdf_text.show(f"{prefix}Helv", 10, x - box.x, y - box.y, when))
    else:
        ops.append(pdf_text.show(f"{prefix}Helv", text_size, 0, 1, f"{mark.name}  {when}"))
    if spot.how == "block":
        line_y = reserved - 1
        ops.append(b"0.4 G 0.5 w 0 %.2f m %.2f %.2f l S\n" % (line_y, width, line_y))
        ops.append(pdf_text.show(f"{prefix}HelvB", 7, 0, height + 3, block_text))
    ops.append(b"Q\n")
    return b"".join(ops)


def _upright_frame(
    box: PlacementBox, rotate: int
) -> tuple[tuple[float, float, float, float, float, float], tuple[float, float]]:
    """The matrix from a frame whose origin is the box's corner at the bottom left as the
    page is shown, x to the reader's right, to page space; and the frame's width and
    height. A viewer turns a ``/Rotate`` page clockwise, so the frame turns the other way."""
    x, y, w, h = box.x, box.y, box.width, box.height
    if rotate == 90:
        return (0, 1, -1, 0, x + w, y), (h, w)
    if rotate == 180:
        return (-1, 0, 0, -1, x + w, y + h), (w, h)
    if rotate == 270:
        return (0, -1, 1, 0, x, y + h), (h, w)
    return (1, 0, 0, 1, x, y), (w, h)
