"""Signature drawings as a signature pad saves them: dark strokes on a transparent PNG."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw


def drawn_signature(width: int = 600, height: int = 200, seed: int = 1) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    points = [
        (20 + x, height / 2 + math.sin(x / (18 + seed)) * height / 4 + math.cos(x / 7) * 8)
        for x in range(0, width - 40, 4)
    ]
    pen.line(points, fill=(10, 20, 90, 255), width=6, joint="curve")
    return _png(image)


def blank(width: int = 600, height: int = 200) -> bytes:
    return _png(Image.new("RGBA", (width, height), (0, 0, 0, 0)))


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
