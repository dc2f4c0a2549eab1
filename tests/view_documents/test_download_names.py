"""Names that reach a header or a zip: no name can break out of either, and a file is
always handed out under the extension of the type its content was judged to be."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

import pytest

from taxportal.services.uploads.file_names import (
    NAME_BYTES,
    WINDOWS_RESERVED,
    safe_name,
    typed_name,
)
from taxportal.services.uploads.review import unique_names
from taxportal.web.file_download import content_disposition, download_headers

HOSTILE = [
    'quote " and \\ backslash.pdf',
    "line\r\nSet-Cookie: x=1.pdf",
    "../../x.pdf",
    "../../../etc/passwd",
    "..\\..\\windows\\system32.pdf",
    "C:\\Users\\x.pdf",
    "..",
    ".",
    "   ",
    "",
    "tab\tnul\x00del\x7f.pdf",
    "percent %41 and %2F; semicolon = equals.pdf",
    "ünïcødé 名前 😀.jpg",
    "🧾" * 255,
    "x" * 255,
    "ñ" * 251 + ".pdf",
    "invoice\u202efdp.exe",  # right-to-left override: shows as "invoiceexe.pdf"
    "a\u2066b\u200fc\ufeffd.pdf",  # isolate, mark, BOM: format characters
    "e\u0301.pdf",  # decomposed: sent as NFC
]
HEADER = re.compile(
    r"(inline|attachment); filename=\"([A-Za-z0-9 .\-_()+,=@\[\]~]+)\"; "
    r"filename\*=UTF-8''([A-Za-z0-9%._~-]+)"
)


@pytest.mark.parametrize("inline", [False, True])
@pytest.mark.parametrize("name", HOSTILE)
def test_the_header_is_one_line_with_a_safe_fallback_and_the_encoded_name(
    name: str, inline: bool
) -> None:
    value = content_disposition(name, inline, "application/pdf")

    match = HEADER.fullmatch(value)
    assert match, value
    kind, fallback, encoded = match.groups()
    assert kind == ("inline" if inline else "attachment")
    shown = unquote(encoded, errors="strict")
    assert shown == unicodedata.normalize("NFC", shown)
    assert not any(unicodedata.category(c)[0] == "C" for c in shown)  # controls, bidi, BOM
    assert not any(c in shown for c in "/\\") and not shown.startswith((".", " "))
    assert shown.endswith(".pdf") and fallback.endswith(".pdf")
    assert len(shown.encode()) <= NAME_BYTES and len(fallback) == len(shown)


def test_what_the_header_keeps_of_a_name() -> None:
    def sent(name: str, content_type: str = "application/pdf") -> tuple[str, str]:
        value = content_disposition(name, False, content_type)
        fallback, encoded = HEADER.fullmatch(value).groups()[1:]  # type: ignore[union-attr]
        return fallback, unquote(encoded)

    assert sent('say "hi"; x=1.pdf') == ("say _hi__ x=1.pdf", 'say "hi"; x=1.pdf')
    assert sent("../../x.pdf") == ("_.._x.pdf", "_.._x.pdf")
    assert sent("invoice\u202efdp.exe") == ("invoicefdp.exe.pdf", "invoicefdp.exe.pdf")
    assert sent("100% done.pdf") == ("100_ done.pdf", "100% done.pdf")
    assert sent("recibo 🧾 año.jpg", "image/jpeg") == ("recibo _ a_o.jpg", "recibo 🧾 año.jpg")
    assert sent("e\u0301.pdf")[1] == "\u00e9.pdf"
    assert sent("", "image/png") == ("file.png", "file.png")
    long = sent("ñ" * 300 + ".pdf")[1]
    assert long == "ñ" * 98 + ".pdf" and len(long.encode()) == NAME_BYTES


@pytest.mark.parametrize(
    ("name", "content_type", "handed_out"),
    [
        ("W-2 2025.bat", "application/pdf", "W-2 2025.bat.pdf"),
        ("page.html", "application/pdf", "page.html.pdf"),
        ("W-2 2025", "application/pdf", "W-2 2025.pdf"),
        ("W-2 2025.PDF", "application/pdf", "W-2 2025.PDF"),
        ("photo.jpeg", "image/jpeg", "photo.jpeg"),
        ("photo.png", "image/jpeg", "photo.png.jpg"),
        ("scan.tiff", "image/tiff", "scan.tiff"),
        ("scan.svg", "image/tiff", "scan.svg.tif"),
        ("IMG_1.HEIC", "image/heic", "IMG_1.HEIC"),
        ("IMG_1.heif", "image/heic", "IMG_1.heif"),
        ("IMG_1.exe", "image/heif", "IMG_1.exe.heif"),
        ("x.png", "image/png", "x.png"),
        ("all.zip", "application/zip", "all.zip"),
        ("notes.txt", "text/plain", "notes.txt"),  # not a type we judge: sent as octet-stream
    ],
)
def test_the_name_ends_with_the_extension_of_the_judged_type(
    name: str, content_type: str, handed_out: str
) -> None:
    assert typed_name(name, content_type) == handed_out
    encoded = content_disposition(name, False, content_type).rpartition("''")[2]
    assert unquote(encoded) == handed_out


def test_an_unsafe_type_is_a_plain_download_with_every_header() -> None:
    assert download_headers("a.pdf", "application/pdf")["Content-Type"] == "application/pdf"
    assert download_headers("a.png", "image/png")["Content-Type"] == "image/png"
    html = download_headers("a.html", "text/html")
    assert html["Content-Type"] == "application/octet-stream"
    for headers in (html, download_headers("a.pdf", "application/pdf", inline=True)):
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
        assert headers["Content-Security-Policy"].startswith("sandbox;")
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert download_headers("a.pdf", "application/pdf", inline=True)[
        "Content-Disposition"
    ].startswith("inline; ")


@pytest.mark.parametrize("name", HOSTILE)
def test_a_safe_zip_name_is_one_plain_file_name(name: str) -> None:
    safe = safe_name(name, reserved=WINDOWS_RESERVED)
    assert safe and safe not in (".", "..") and safe == safe.strip()
    assert not any(c in safe for c in '/\\:*?"<>|') and safe.isprintable()
    assert len(safe.encode()) <= NAME_BYTES


def test_long_names_keep_their_extension() -> None:
    assert safe_name("ñ" * 251 + ".pdf").endswith("ñ.pdf")
    assert safe_name("ñ" * 251, "application/pdf").endswith("ñ.pdf")  # typed, then cut
    assert safe_name("W-2 Acme.pdf") == "W-2 Acme.pdf"
    assert safe_name("1099 ✓ año.jpg") == "1099 ✓ año.jpg"


def test_duplicates_are_numbered_whatever_the_letter_case() -> None:
    names = ["W2.pdf", "w2.pdf", "W2.PDF", "W2 (2).pdf", "scan", "scan", "..", ""]
    assert unique_names(names) == [
        "W2.pdf",
        "w2 (2).pdf",
        "W2 (3).PDF",
        "W2 (2) (2).pdf",
        "scan",
        "scan (2)",
        "file",
        "file (2)",
    ]
