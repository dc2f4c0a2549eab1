"""Names that reach a header or a zip: no name can break out of either."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from taxportal.services.upload_review import NAME_BYTES, safe_name, unique_names
from taxportal.web.file_download import attachment, download_headers

HOSTILE = [
    'quote " and \\ backslash.pdf',
    "line\r\nSet-Cookie: x=1.pdf",
    "../../../etc/passwd",
    "..\\..\\windows\\system32.pdf",
    "C:\\Users\\x.pdf",
    "..",
    ".",
    "   ",
    "",
    "tab\tnul\x00del\x7f.pdf",
    "percent %41 and ; semicolon = equals.pdf",
    "ünïcødé 名前 😀.jpg",
    "x" * 255,
    "ñ" * 251 + ".pdf",
    "\u202egpj.exe",  # right-to-left override
]
HEADER = re.compile(r"attachment; filename=\"([ -~]*)\"; filename\*=UTF-8''([A-Za-z0-9%._~-]+)")


@pytest.mark.parametrize("name", HOSTILE)
def test_the_header_is_one_line_with_a_plain_fallback_and_an_encoded_name(name: str) -> None:
    value = attachment(name)

    match = HEADER.fullmatch(value)
    assert match, value
    fallback, encoded = match.groups()
    assert '"' not in fallback and "\\" not in fallback and "/" not in fallback
    shown = unquote(encoded)
    assert shown == safe_name(name)
    assert not any(c in shown for c in "/\\\r\n\x00")
    assert len(shown.encode()) <= NAME_BYTES


@pytest.mark.parametrize("name", HOSTILE)
def test_a_safe_name_is_one_plain_file_name(name: str) -> None:
    safe = safe_name(name)
    assert safe and safe not in (".", "..") and safe == safe.strip()
    assert not any(c in safe for c in '/\\:*?"<>|') and safe.isprintable()
    assert len(safe.encode()) <= NAME_BYTES


def test_long_names_keep_their_extension() -> None:
    assert safe_name("ñ" * 251 + ".pdf").endswith("ñ.pdf")
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


def test_only_safe_types_keep_their_content_type() -> None:
    assert download_headers("a.pdf", "application/pdf")["Content-Type"] == "application/pdf"
    assert download_headers("a.png", "image/png")["Content-Type"] == "image/png"
    html = download_headers("a.html", "text/html")
    assert html["Content-Type"] == "application/octet-stream"
    assert html["X-Content-Type-Options"] == "nosniff"
    assert html["Cache-Control"] == "no-store"
