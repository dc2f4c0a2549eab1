"""Text on a PDF page with the standard fonts (no font file to embed): escaping and widths."""

from __future__ import annotations

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name

# the three standard fonts every PDF reader has, by the short name used in ``show``
FONTS = {"Helv": "/Helvetica", "HelvB": "/Helvetica-Bold", "Cour": "/Courier"}


def font_resources(prefix: str) -> generic.DictionaryObject:
    """A /Font resource dictionary with the standard fonts in WinAnsi encoding, named
    ``/<prefix><short name>`` (a prefix of our own: the page's names cannot clash)."""
    return generic.DictionaryObject(
        {
            pdf_name(f"/{prefix}{name}"): generic.DictionaryObject(
                {
                    pdf_name("/Type"): pdf_name("/Font"),
                    pdf_name("/Subtype"): pdf_name("/Type1"),
                    pdf_name("/BaseFont"): pdf_name(base),
                    pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding"),
                }
            )
            for name, base in FONTS.items()
        }
    )


def literal(text: str) -> bytes:
    """``text`` as a PDF literal string in WinAnsi (cp1252): accents of Spanish and most
    Latin names survive; a character outside it prints as "?"."""
    raw = text.replace("\r", " ").replace("\n", " ").encode("cp1252", errors="replace")
    escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b")"


def show(font: str, size: float, x: float, y: float, text: str) -> bytes:
    """Operators that print ``text`` with its baseline starting at (x, y); ``font`` is the
    resource name with its prefix, e.g. ``"Tp3Helv"``."""
    return b"BT /%s %.2f Tf %.2f %.2f Td %s Tj ET\n" % (
        font.encode(),
        size,
        x,
        y,
        literal(text),
    )
