"""Reading a CSV file for the import: its bytes (capped), its text encoding, its records.

UTF-8 (with or without BOM) is read at once. UTF-16 needs its BOM. Any other text is read
as Windows-1252 (what Excel on Windows writes for "CSV"; Latin-1's letters are the same)
only when charset-normalizer finds Latin text in it; Shift-JIS, GB18030, Big5, EUC-KR,
Windows-1251 and the like are refused, naming the encodings accepted, instead of being
imported as mojibake (a file of a row or two gives the detector little to go on).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import AsyncIterable, Iterator
from pathlib import Path

from taxportal.file_types import SNIFF_BYTES, sniff

MAX_BYTES = 10 * 1024 * 1024
TOO_LARGE = "the file is larger than 10 MB; split it into smaller files"
NOT_CSV = "this is not a CSV file"
ACCEPTED_ENCODINGS = "UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1252 or Latin-1"
SAVE_AS = f"save it as CSV UTF-8 (the encodings read are {ACCEPTED_ENCODINGS})"
UNREADABLE = (
    "the file's text encoding cannot be read: it is neither UTF-8 nor Latin text in "
    "Windows-1252 (Shift-JIS, GB18030, Big5 or Windows-1251, for instance)"
)
# what a file judged by its first bytes (taxportal.file_types) is, told in a refusal
_DESCRIBED = {
    "pdf": "a PDF document",
    "zip": "a ZIP archive or an Excel .xlsx workbook; save it as CSV",
    "xls": "an old Excel .xls workbook; save it as CSV",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "gzip": "a gzip archive",
}
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # tab, newlines, VT and FF are text
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_TEXT_PUNCTUATION = set("\u00a0’‘“”–—…•·«»¿¡°ºª´")
SAMPLE_BYTES = 32 * 1024  # what the encoding detector reads: enough, and fast on 10 MB


class UnusableFile(ValueError):
    """The whole file cannot be imported (nothing was written); the message says why."""


class FileTooLarge(UnusableFile):
    def __init__(self) -> None:
        super().__init__(TOO_LARGE)


# -- the bytes -----------------------------------------------------------------------------


async def read_capped(chunks: AsyncIterable[bytes], limit: int = MAX_BYTES) -> bytes:
    """Collect an upload, stopping as soon as it passes the limit (the rest is never kept)."""
    data = bytearray()
    async for chunk in chunks:
        data += chunk
        if len(data) > limit:
            raise FileTooLarge()
    return bytes(data)


def read_path(path: Path, limit: int = MAX_BYTES) -> bytes:
    try:
        if path.stat().st_size > limit:
            raise FileTooLarge()
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UnusableFile(f"cannot read the file: {exc.strerror}") from None
    if len(data) > limit:
        raise FileTooLarge()
    return data


# -- the text ------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text; binary files and encodings that cannot be read are refused."""
    if not data.strip():
        raise UnusableFile("the file is empty")
    described = _DESCRIBED.get(sniff(data[:SNIFF_BYTES]) or "")
    if described:
        raise UnusableFile(f"{NOT_CSV} (it looks like {described})")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnusableFile(f"{NOT_CSV} (it is not valid UTF-16)") from None
    elif b"\x00" in data:
        raise UnusableFile(NOT_CSV)
    else:
        try:
            text = data.decode("utf-8-sig")  # the fast path: most files stop here
        except UnicodeDecodeError as exc:  # its position counts from after the BOM
            text = _not_utf8(data, exc.start + (3 if data.startswith(codecs.BOM_UTF8) else 0))
    text = text.rstrip("\x1a")  # a DOS end-of-file mark
    if _CONTROL.search(text):
        raise UnusableFile(f"{NOT_CSV} (it contains binary data)")
    if not text.strip():
        raise UnusableFile("the file is empty")
    return text


def _not_utf8(data: bytes, bad: int) -> str:
    """Windows-1252 when the file holds Latin text in it, else UnusableFile."""
    from charset_normalizer import from_bytes  # imported only for files that need it
    from charset_normalizer.utils import is_latin, is_multi_byte_encoding

    def all_latin(text: str) -> bool:
        return all(is_latin(c) for c in _NON_ASCII.findall(text) if c.isalpha())

    before = data[:bad].decode("utf-8")  # valid UTF-8 up to the first bad byte
    if _NON_ASCII.search(before) and all_latin(before):
        line = data.count(b"\n", 0, bad) + 1
        raise UnusableFile(
            f"line {line} is not UTF-8 but the lines before it are: the file mixes "
            f"encodings; {SAVE_AS}"
        )
    found = _HIGH_BYTE.search(data)
    sample = _sample(data, found.start() if found else 0)
    best = from_bytes(sample).best()
    if best is not None and not is_multi_byte_encoding(best.encoding) and all_latin(str(best)):
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = ""  # bytes Windows-1252 leaves undefined: Latin-1 control codes, not text
        if text and _reads_as_words(sample.decode("cp1252")):
            return text
    raise UnusableFile(f"{UNREADABLE}; {SAVE_AS}")


def _reads_as_words(text: str) -> bool:
    """Latin text read as Windows-1252 has letters and a little punctuation beyond ASCII;
    Shift-JIS, Big5 or GB18030 read that way is strewn with symbols (± ¶ ‡ ¤ ...)."""
    beyond = _NON_ASCII.findall(text)
    symbols = sum(1 for c in beyond if not c.isalpha() and c not in _TEXT_PUNCTUATION)
    return symbols * 5 <= len(beyond)  # at most one in five


def _sample(data: bytes, first_high: int) -> bytes:
    """Whole lines around the first non-ASCII byte, at most about SAMPLE_BYTES of them."""
    start = 0
    if first_high > SAMPLE_BYTES // 2:
        start = data.rfind(b"\n", 0, first_high - SAMPLE_BYTES // 4) + 1
    end = data.find(b"\n", start + SAMPLE_BYTES)
    return data[start:] if end < 0 else data[start:end]


# -- the records ---------------------------------------------------------------------------


def records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of each record; a quoted value may span lines."""
    first_line = re.split(r"\r\n|\r|\n", text.lstrip("\r\n"), maxsplit=1)[0]
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    delimiter = "," if counts[","] else max(counts, key=lambda d: counts[d])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UnusableFile(f"line {start}: the file is not valid CSV ({exc})") from None
