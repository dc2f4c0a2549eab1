"""The check of a drawn signature before anyone uses it: a PNG, within size limits, with ink.

The core calls it when a signer saves a drawing, and the signing plugin again before it
places one (a stored image could come from an older version). Pillow is imported only here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from taxportal.i18n import N_

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 512 * 1024  # a pad drawing is 5-60 KB; more is not a hand-drawn signature
MAX_WIDTH, MAX_HEIGHT = 4000, 2000  # a high-density screen's pad at 3x, with room
MIN_WIDTH, MIN_HEIGHT = 40, 16
MIN_INK_PIXELS = 40  # a dot or a stray tap is not a signature
DARK = 160  # luminance over white below which a pixel counts as ink


class SignatureImageError(ValueError):
    """The drawing cannot be used; the message is safe to show the signer, in English
    (marked for the core's catalog: show it through ``_()`` in the signer's language)."""


@dataclass(frozen=True)
class SignatureImage:
    """What the check found: the drawing's size in pixels and how many are ink; ``image``
    is the decoded drawing (a Pillow RGBA image) when the caller asked to keep it."""

    width: int
    height: int
    ink_pixels: int
    image: Any = field(default=None, compare=False, repr=False)


def check_signature_png(png: bytes, *, keep_image: bool = False) -> SignatureImage:
    """Check a drawn signature: a PNG (by its bytes), at most 512 KB, between 40 x 16 and
    4000 x 2000 pixels, decodable, with at least 40 dark pixels once laid on white.

    Raises :class:`SignatureImageError` with a message for the signer otherwise. Pure: no
    I/O, the same answer for the same bytes; about a millisecond for a pad's drawing.
    ``keep_image=True`` also returns the decoded RGBA image (a signer that draws it next
    then decodes it once; a Pillow image belongs to one thread).
    """
    if not isinstance(png, bytes | bytearray) or not png.startswith(PNG_MAGIC):
        raise SignatureImageError(N_("The signature must be a PNG image."))
    if len(png) > MAX_BYTES:
        raise SignatureImageError(N_("The signature image is too large."))
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
            width, height = image.size  # read from the header, before any pixel is decoded
            if not (MIN_WIDTH <= width <= MAX_WIDTH and MIN_HEIGHT <= height <= MAX_HEIGHT):
                raise SignatureImageError(N_("The signature image has an unusual size."))
            rgba = image.convert("RGBA")
            ink = ink_pixels(rgba)
    except SignatureImageError:
        raise
    except Image.DecompressionBombError:  # a header claiming billions of pixels
        raise SignatureImageError(N_("The signature image has an unusual size.")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise SignatureImageError(N_("The signature image cannot be read.")) from None
    if ink < MIN_INK_PIXELS:
        raise SignatureImageError(N_("The signature is empty: please draw your signature."))
    return SignatureImage(width, height, ink, rgba if keep_image else None)


def ink_pixels(image: object) -> int:
    """Dark pixels of a Pillow image once laid on white (transparent pixels are paper)."""
    from PIL import Image

    assert isinstance(image, Image.Image)
    rgba = image.convert("RGBA")
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    gray = Image.alpha_composite(paper, rgba).convert("L")
    histogram = gray.histogram()
    return sum(histogram[:DARK])
