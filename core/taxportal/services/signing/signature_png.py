"""Is this body a drawn signature? A PNG by its bytes and by decoding, within bounds, with ink.

The bytes come from a browser's canvas, so anything else is refused before it reaches a
PDF: the chunk list is walked first (cheap, no decompression), so an oversized, animated
or chunk-stuffed file never reaches the decoder; then Pillow decodes it (its
decompression-bomb and text-chunk limits stay on) and the ink is counted. What is kept is
the image's own chunks (header, palette, transparency, data, end) copied byte for byte:
no text or other chunk of the sender's survives, and nothing is compressed again (a
3000 x 1500 re-encoding took 250 ms; the copy takes none).

Every refusal is a ``SignatureRefused`` whose ``reason`` is a msgid safe to show the user.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageChops

from taxportal.i18n import N_

MAX_BYTES = 256 * 1024  # a 1500 px wide drawing is 10-40 KB: a quarter MB is plenty
MIN_WIDTH, MIN_HEIGHT = 100, 30
MAX_WIDTH, MAX_HEIGHT = 3000, 1500  # a 1000 px box at devicePixelRatio 3
MIN_INK = 60  # dark, opaque pixels: a dot or a stray tap is not a signature
INK_ALPHA = 128  # at least half opaque ...
INK_LUMA = 160  # ... and darker than mid-grey

MAGIC = b"\x89PNG\r\n\x1a\n"
# the chunks a canvas export can hold; tEXt is uncompressed, so the byte cap bounds it.
# Only the image's own chunks (KEPT_CHUNKS) are stored.
# Not allowed: iCCP, zTXt, iTXt (compressed: a bomb hides in them), acTL/fcTL/fdAT (APNG).
ALLOWED_CHUNKS = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"sRGB", b"gAMA", b"cHRM", b"pHYs", b"bKGD"}
    | {b"sBIT", b"tEXt", b"tIME"}
)
KEPT_CHUNKS = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"})

NOT_PNG = N_("The signature could not be read as a PNG image. Clear the box and draw it again.")
TOO_LARGE = N_("The signature image is too large. Clear the box and draw it again.")
BAD_SIZE = N_("The signature box is too small or too large. Draw it again in the box shown.")
NO_INK = N_("The box is empty. Draw your signature in the box, then Save.")
EXTRA_DATA = N_("The signature image holds data a drawing does not. Draw it again in the box.")


class SignatureRefused(ValueError):
    """Not a drawn signature; ``reason`` says why in words for the user (a msgid)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CheckedImage:
    """A signature that passed every check, as it is stored."""

    png: bytes
    sha256: str
    width: int
    height: int
    ink: int  # dark, opaque pixels counted


def check_png(data: bytes) -> CheckedImage:
    """The checked, re-encoded image, or ``SignatureRefused``. CPU work: call it off the loop."""
    if len(data) > MAX_BYTES:
        raise SignatureRefused(TOO_LARGE)
    (width, height), kept = _walk_chunks(data)
    if not (MIN_WIDTH <= width <= MAX_WIDTH and MIN_HEIGHT <= height <= MAX_HEIGHT):
        raise SignatureRefused(BAD_SIZE)
    ink = _ink(_decode(data, width, height))
    if ink < MIN_INK:
        raise SignatureRefused(NO_INK)
    png = MAGIC + b"".join(kept)  # every CRC was checked by the decoder
    return CheckedImage(png, hashlib.sha256(png).hexdigest(), width, height, ink)


def _walk_chunks(data: bytes) -> tuple[tuple[int, int], list[bytes]]:
    """The IHDR's size and the chunks to keep, after every chunk was found whole, allowed
    and in order."""
    if not data.startswith(MAGIC):
        raise SignatureRefused(NOT_PNG)
    at, size, seen_end, kept = len(MAGIC), None, False, []
    while at < len(data):
        if at + 12 > len(data):
            raise SignatureRefused(NOT_PNG)  # truncated
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        end = at + 12 + length
        if end > len(data):
            raise SignatureRefused(NOT_PNG)  # truncated
        if kind not in ALLOWED_CHUNKS:
            raise SignatureRefused(EXTRA_DATA if kind[:1].islower() or kind in _APNG else NOT_PNG)
        if size is None:
            if kind != b"IHDR" or length != 13:
                raise SignatureRefused(NOT_PNG)
            size = struct.unpack(">II", data[at + 8 : at + 16])
        if kind in KEPT_CHUNKS:
            kept.append(data[at:end])
        at = end
        if kind == b"IEND":
            seen_end = True
            break
    if size is None or not seen_end or at != len(data):
        raise SignatureRefused(NOT_PNG)  # cut short, or bytes after the end
    return (int(size[0]), int(size[1])), kept


_APNG = frozenset({b"acTL", b"fcTL", b"fdAT"})


def _decode(data: bytes, width: int, height: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # a decompression-bomb warning is a refusal here, not a log line
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["PNG"])
            if getattr(image, "is_animated", False) or image.size != (width, height):
                raise SignatureRefused(EXTRA_DATA)
            image.load()  # decodes every row, checks every CRC: a truncated IDAT fails here
    except SignatureRefused:
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        struct.error,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        EOFError,
    ):
        raise SignatureRefused(NOT_PNG) from None
    return image


def _ink(image: Image.Image) -> int:
    """Pixels at least half opaque and darker than mid-grey: a white or clear box has none."""
    if image.mode != "RGBA":
        image = image.convert("RGBA")
    opaque = image.getchannel("A").point(lambda v: 255 if v >= INK_ALPHA else 0)
    dark = image.convert("L").point(lambda v: 255 if v < INK_LUMA else 0)
    return ImageChops.darker(opaque, dark).histogram()[255]
