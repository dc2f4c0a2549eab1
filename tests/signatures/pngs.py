"""Real PNGs (and things posing as one) for the signature checks."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def drawing(width: int = 600, height: int = 200) -> bytes:
    """A signature as a canvas exports it: dark strokes on a transparent box."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.line([(20, height - 40), (width // 3, 30), (width // 2, height - 30)], fill="#000", width=4)
    pen.line([(width // 2, height // 2), (width - 30, height // 3)], fill="#123", width=3)
    return encode(image)


def transparent(width: int = 600, height: int = 200) -> bytes:
    return encode(Image.new("RGBA", (width, height), (0, 0, 0, 0)))


def white(width: int = 600, height: int = 200) -> bytes:
    return encode(Image.new("RGB", (width, height), "white"))


def one_pixel() -> bytes:
    return encode(Image.new("RGBA", (1, 1), (0, 0, 0, 255)))


def chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def huge_dimensions(width: int = 100_000, height: int = 100_000) -> bytes:
    """A few hundred bytes claiming ten gigapixels (the classic bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def with_chunk_before_end(data: bytes, kind: bytes, body: bytes) -> bytes:
    end = data.rindex(b"IEND") - 4
    return data[:end] + chunk(kind, body) + data[end:]


def jpeg_renamed() -> bytes:
    return encode(Image.new("RGB", (600, 200), "white"), "JPEG")


def animated() -> bytes:
    frames = [Image.open(io.BytesIO(drawing())).convert("RGBA") for _ in range(2)]
    return encode(frames[0], save_all=True, append_images=frames[1:])
