"""Drawing marks (each signer's PNG and the date) onto the pages of the incremental writer."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from taxportal.api import SignatureMark
from taxportal_signing_pdf import pdf_text
from taxportal_signing_pdf.placement import Spot

MAX_PIXELS_WIDE = 900  # enough for 300 dpi over a 3-inch line; more only grows the file


def signature_image(png: bytes) -> Image.Image:
    """The drawing, cropped to its ink and scaled down: loaded per job (a Pillow image is
    not safe to share between threads, and a job owns its own)."""
    with Image.open(io.BytesIO(png), formats=["PNG"]) as opened:
        image = opened.convert("RGBA")
    bbox = image.getchannel("A").point(lambda v: 255 if v > 16 else 0).getbbox()
    if bbox:
        image = image.crop(bbox)
    if image.width > MAX_PIXELS_WIDE:
        ratio = MAX_PIXELS_WIDE / image.width
        size = (MAX_PIXELS_WIDE, max(1, round(image.height * ratio)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def date_text(moment: dt.datetime) -> str:
    """The date printed beside a signature (US style), in UTC when the moment has a zone."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%m/%d/%Y")


def draw_page(
    writer: IncrementalPdfFileWriter,
    page: int,
    marks: Sequence[tuple[Spot, SignatureMark, Image.Image]],
    block_text: str,
) -> None:
    """Draw every mark of one page in one content stream, after the page's own content
    wrapped in q ... Q (a transformation its author left in force cannot move ours)."""
    prefix = f"Tp{page}"
    images: dict[str, generic.IndirectObject] = {}
    ops = [b"Q q\n"]  # closes the q prepended below
    for spot, mark, image in marks:
        name = f"{prefix}Sig{spot.role.capitalize()}"
        images[name] = pil_image(image, writer)
        ops.append(_mark_ops(spot, mark, image, name, prefix, block_text))
    ops.append(b"Q\n")
    resources = generic.DictionaryObject(
        {
            pdf_name("/XObject"): generic.DictionaryObject(
                {pdf_name(f"/{name}"): ref for name, ref in images.items()}
            ),
            pdf_name("/Font"): pdf_text.font_resources(prefix),
        }
    )
    save = writer.add_object(generic.StreamObject(stream_data=b"q\n"))
    writer.add_stream_to_page(page, save, prepend=True)
    stream = writer.add_object(generic.StreamObject(stream_data=b"".join(ops)))
    writer.add_stream_to_page(page, stream, resources=resources)


def _mark_ops(
    spot: Spot, mark: SignatureMark, image: Image.Image, name: str, prefix: str, block_text: str
) -> bytes:
    """The drawing fitted into the box (left-aligned, its shape kept), then the date: on
    the printed line's date place, else with the signer's name under the drawing."""
    box = spot.box
    caption = spot.how != "label"  # a printed line has its own "Date" place
    text_size = max(5.0, min(8.0, box.height * 0.2))
    reserved = text_size + 3 if caption else 0.0
    room = box.height - reserved
    scale = min(box.width / image.width, room / image.height)
    width, height = image.width * scale, image.height * scale
    bottom = box.y + reserved + (room - height) / 2
    ops = [
        b"q %.3f 0 0 %.3f %.3f %.3f cm /%s Do Q\n" % (width, height, box.x, bottom, name.encode())
    ]
    when = date_text(mark.signed_at)
    ops.append(b"0 g\n")
    if not caption and spot.date_at is not None:
        ops.append(pdf_text.show(f"{prefix}Helv", 10, *spot.date_at, when))
    else:
        ops.append(
            pdf_text.show(f"{prefix}Helv", text_size, box.x, box.y + 1, f"{mark.name}  {when}")
        )
    if spot.how == "block":
        line_y = box.y + reserved - 1
        ops.append(
            b"0.4 G 0.5 w %.2f %.2f m %.2f %.2f l S\n" % (box.x, line_y, box.x + box.width, line_y)
        )
        ops.append(pdf_text.show(f"{prefix}HelvB", 7, box.x, box.y + box.height + 3, block_text))
    return b"".join(ops)
