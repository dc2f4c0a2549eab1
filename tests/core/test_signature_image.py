"""The check of a drawn signature, the core's own (``taxportal.api.check_signature_png``):
what a signer's Save is refused for, in words they can act on."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image, ImageDraw

from taxportal.api import SignatureImageError, check_signature_png


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def drawing(width: int = 600, height: int = 200, stroke: int = 5) -> Image.Image:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        [(30, 150), (200, 40), (400, 160), (570, 60)], (0, 0, 0, 255), stroke
    )
    return image


def test_a_drawn_signature_passes_and_its_ink_is_counted() -> None:
    checked = check_signature_png(png(drawing()))
    assert (checked.width, checked.height) == (600, 200) and checked.ink_pixels > 1000


def test_ink_on_a_white_background_counts_too() -> None:
    image = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(image).line([(10, 50), (290, 60)], "navy", 4)
    assert check_signature_png(png(image)).ink_pixels > 500


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (png(Image.new("RGBA", (600, 200), (0, 0, 0, 0))), "empty"),  # nothing drawn
        (png(Image.new("RGB", (600, 200), "white")), "empty"),
        (png(drawing(stroke=1).resize((60, 20))), "empty"),  # a stray tap
        (png(drawing().convert("RGB")).replace(b"IDAT", b"IDAX"), "cannot be read"),
        (b"GIF89a" + b"\x00" * 100, "must be a PNG"),
        (b"", "must be a PNG"),
        (png(drawing(5000, 200)), "unusual size"),
        (png(drawing(30, 10)), "unusual size"),
    ],
    ids=["transparent", "white", "a-dot", "corrupt", "gif", "nothing", "too-wide", "tiny"],
)
def test_a_drawing_that_cannot_be_a_signature_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(SignatureImageError, match=message):
        check_signature_png(data)


def test_a_huge_file_or_a_decompression_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(SignatureImageError, match="too large"):
        check_signature_png(png(drawing()) + b"\x00" * (600 * 1024))
    # a header that claims 100000 x 100000 pixels: refused from the header alone
    bomb = bytearray(png(drawing()))
    header = bomb.index(b"IHDR")
    bomb[header + 4 : header + 12] = (100_000).to_bytes(4, "big") * 2
    crc = zlib.crc32(bytes(bomb[header : header + 17])).to_bytes(4, "big")
    bomb[header + 17 : header + 21] = crc
    with pytest.raises(SignatureImageError, match="unusual size"):
        check_signature_png(bytes(bomb))
