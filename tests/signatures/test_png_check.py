"""check_png: each refusal with a real crafted body, and what a good drawing keeps."""

from __future__ import annotations

import hashlib
import io
import zlib

import pytest
from PIL import Image

from taxportal.services.signing import signature_png as png
from taxportal.services.signing.signatures import SignatureRefused, check_png
from tests.signatures import pngs


def refusal(data: bytes) -> str:
    with pytest.raises(SignatureRefused) as refused:
        check_png(data)
    return refused.value.reason


def test_a_drawing_is_kept_re_encoded_with_its_size_and_digest() -> None:
    checked = check_png(pngs.drawing(600, 200))
    assert (checked.width, checked.height) == (600, 200) and checked.ink > png.MIN_INK
    assert checked.sha256 == hashlib.sha256(checked.png).hexdigest()
    image = Image.open(io.BytesIO(checked.png))
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == (600, 200)


def test_a_text_chunk_of_the_sender_does_not_survive() -> None:
    data = pngs.with_chunk_before_end(pngs.drawing(), b"tEXt", b"Comment\x00hello")
    assert b"hello" not in check_png(data).png


@pytest.mark.parametrize(
    "body",
    [pngs.transparent(), pngs.white()],
    ids=["transparent", "white"],
)
def test_an_empty_box_is_refused(body: bytes) -> None:
    assert refusal(body) == png.NO_INK


def test_a_dot_is_not_a_signature() -> None:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    image.putpixel((10, 10), (0, 0, 0, 255))
    assert refusal(pngs.encode(image)) == png.NO_INK


def test_light_or_faint_strokes_are_not_ink() -> None:
    faint = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    faint.paste((0, 0, 0, 40), (0, 0, 600, 200))  # black but nearly transparent everywhere
    assert refusal(pngs.encode(faint)) == png.NO_INK
    assert refusal(pngs.encode(Image.new("RGB", (600, 200), (230, 230, 230)))) == png.NO_INK


@pytest.mark.parametrize(
    "body",
    [
        pngs.one_pixel(),
        pngs.encode(Image.new("RGBA", (99, 200), "black")),
        pngs.encode(Image.new("RGBA", (600, 29), "black")),
        pngs.encode(Image.new("1", (3001, 200), 0)),
        pngs.encode(Image.new("1", (600, 1501), 0)),
        pngs.huge_dimensions(),
    ],
    ids=["1x1", "too-narrow", "too-short", "too-wide", "too-tall", "100000x100000-header"],
)
def test_dimensions_out_of_bounds_are_refused_before_decoding(body: bytes) -> None:
    assert refusal(body) == png.BAD_SIZE


def test_a_huge_body_is_refused_by_its_length() -> None:
    assert refusal(pngs.drawing() + b"\x00" * (10 * 1024 * 1024)) == png.TOO_LARGE
    assert refusal(b"\x00" * (png.MAX_BYTES + 1)) == png.TOO_LARGE


@pytest.mark.parametrize(
    "body",
    [
        pngs.jpeg_renamed(),
        b"\x00" * 4096,
        b"GIF89a" + b"\x00" * 100,
        b"",
        pngs.drawing()[:-30],  # cut inside the last chunks
        pngs.drawing()[:200],  # cut inside the image data
        pngs.drawing() + b"trailing",
        pngs.drawing().replace(b"IDAT", b"IDAT", 1)[:60] + b"\x00" * 40 + pngs.drawing()[100:],
    ],
    ids=[
        "jpeg-renamed",
        "nul-laden",
        "gif",
        "empty",
        "truncated-end",
        "truncated-data",
        "trailing-bytes",
        "corrupted-data",
    ],
)
def test_what_is_not_a_whole_png_is_refused(body: bytes) -> None:
    assert refusal(body) == png.NOT_PNG


def test_a_magic_with_garbage_image_data_fails_in_the_decoder() -> None:
    ihdr = pngs.chunk(b"IHDR", bytes.fromhex("00000258000000c8 0806000000".replace(" ", "")))
    junk = pngs.chunk(b"IDAT", zlib.compress(b"\x07" * 50))  # too few rows, bad filter type
    body = png.MAGIC + ihdr + junk + pngs.chunk(b"IEND", b"")
    assert refusal(body) == png.NOT_PNG


@pytest.mark.parametrize(
    "kind, body",
    [
        (b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * 5_000_000)),
        (b"iCCP", b"icc\x00\x00" + zlib.compress(b"\x00" * 1_000_000)),
        (b"iTXt", b"k\x00\x01\x00\x00\x00" + zlib.compress(b"B" * 1_000_000)),
    ],
    ids=["zTXt-bomb", "iCCP", "iTXt"],
)
def test_compressed_chunks_where_a_bomb_hides_are_refused(kind: bytes, body: bytes) -> None:
    assert refusal(pngs.with_chunk_before_end(pngs.drawing(), kind, body)) == png.EXTRA_DATA


def test_an_animated_png_is_refused() -> None:
    assert refusal(pngs.animated()) == png.EXTRA_DATA


@pytest.mark.parametrize("size", [(100, 30), (600, 200), (3000, 1500)])
def test_what_the_save_keeps_passes_the_signers_own_check(size: tuple[int, int]) -> None:
    """The signing plugin checks a stored drawing again (taxportal.signature_image) before
    placing it: every bound here lies inside that check's, so a kept drawing never fails it."""
    from taxportal.signature_image import check_signature_png

    kept = check_png(pngs.drawing(*size))
    again = check_signature_png(kept.png)
    assert (again.width, again.height) == size and again.ink_pixels >= kept.ink
