"""What the "My Files" pages show: the messages (English and Spanish), sizes, dates, the
note a no-JavaScript upload leaves for the next page."""

from __future__ import annotations

import base64
import binascii
import functools
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web
from babel.numbers import format_decimal

from taxportal import i18n
from taxportal.config import AppConfig
from taxportal.i18n import N_, medium_date
from taxportal.services.uploads import intake as uploads
from taxportal.text import whole_number

if TYPE_CHECKING:  # annotations only: handlers call services, never the models
    from taxportal.models import UploadedFile

PAGE = "/portal/files"
NOTE_COOKIE = "tp_files_note"
NOTE_BYTES = 3000  # a cookie holds about 4 KB: the rest of a long batch is only counted
NOTE_NAME = 120
NOTE_KEYS = ("kind", "name", "as", "count")
UNITS = ("KB", "MB", "GB", "TB")
# kind (as in [uploads] allowed_types) -> what the file picker offers
PICKER = {
    "pdf": ".pdf,application/pdf",
    "jpeg": ".jpg,.jpeg,image/jpeg",
    "png": ".png,image/png",
    "heic": ".heic,image/heic",
    "heif": ".heif,image/heif",
    "tiff": ".tif,.tiff,image/tiff",
}
SHOWN_KIND = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG", "heic": "HEIC", "heif": "HEIF"}

# The service's UploadError.kind -> what the taxpayer reads (the service's text is English).
REFUSALS = {
    "name": N_("This file name cannot be used. Rename the file and try again."),
    "empty": N_("The file is empty."),
    "type": N_("This kind of file is not accepted. Accepted files: %(types)s."),
    "too_large": N_("The file is larger than %(mb)s MB."),
    "quota": N_("There is no room left in My Files for this file. Please contact your preparer."),
    "storage": N_("The file could not be stored. Please try again in a few minutes."),
    "no_storage": N_("The file could not be stored. Please try again in a few minutes."),
    "opened": N_("Your preparer has already opened this file, so it cannot be removed."),
}
NOTES = {
    "stored": N_("Uploaded."),
    "duplicate": N_("You already uploaded this file as “%(name)s”."),
    "removed": N_("Removed."),
    "nothing": N_("Choose one or more files to upload."),
    "more": N_("And %(count)s more."),
    **REFUSALS,
}
# What the upload window's script says; it gets them from the page, in its language.
JS_TEXTS = {
    "uploading": N_("Uploading %(name)s"),
    "remove": N_("Remove"),
    "removeNamed": N_("Remove %(name)s"),
    "removed": N_("Removed: %(name)s"),
    "failed": N_("The upload did not finish. Check your connection and try again."),
    "expired": N_("This page has expired. Reload the page and try again."),
}
STATUS = {"name": 400, "empty": 400, "type": 415, "too_large": 413, "quota": 413, "opened": 409}


def picker_accept(config: AppConfig) -> str:
    return ",".join(PICKER[kind] for kind in uploads.allowed_kinds(config))


def shown_types(config: AppConfig) -> str:
    names = [SHOWN_KIND.get(kind, kind.upper()) for kind in uploads.allowed_kinds(config)]
    return ", ".join(dict.fromkeys("HEIC" if n == "HEIF" and "HEIC" in names else n for n in names))


def form_file_name(sent: str) -> str:
    """A multipart file name as the browser meant it: HTML form submission writes `"` as
    %22 (and CR, LF as %0D, %0A, which the service refuses anyway) without escaping `%`."""
    return sent.replace("%22", '"')


def max_file_mb(config: AppConfig) -> str:
    return f"{config.core.uploads.max_file_mb:g}"


def message(config: AppConfig, language: str, kind: str, name: str = "", count: int = 0) -> str:
    """One note or refusal in the page's language."""
    values = {
        "types": shown_types(config),
        "mb": max_file_mb(config),
        "name": name,
        "count": count,
    }
    text = i18n.translations(language).gettext(NOTES.get(kind, REFUSALS["storage"]))
    return text % {k: v for k, v in values.items() if f"%({k})s" in text}


def js_texts(config: AppConfig, language: str) -> dict[str, str]:
    texts = {key: i18n.translations(language).gettext(text) for key, text in JS_TEXTS.items()}
    texts["tooLarge"] = message(config, language, "too_large")
    return texts


@functools.lru_cache(maxsize=4096)  # babel's number formatting is ~20 us a call
def human_size(size: int, language: str) -> str:
    """1536 -> "1.5 KB" ("1,5 KB" in Spanish); whole bytes under 1 KB."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in UNITS:
        value /= 1024
        if value < 1024 or unit == UNITS[-1]:
            break
    pattern = "#,##0.#" if value < 100 else "#,##0"
    return f"{format_decimal(value, pattern, locale=language)} {unit}"


def file_view(row: UploadedFile | uploads.ListedFile, language: str) -> dict[str, Any]:
    """A row as the list and the upload window show it (the template escapes the name)."""
    return {
        "id": row.id,
        "name": row.file_name,
        "size": human_size(int(row.size), language),
        "date": medium_date(row.uploaded_at, language),
        "iso": row.uploaded_at.isoformat(),
        "opened": row.opened_by_preparer_at is not None,
        "url": f"{PAGE}/{row.id}",
        "remove": f"{PAGE}/{row.id}/remove",
    }


def encode_notes(notes: list[dict[str, str]]) -> str:
    """The notes of a no-JavaScript upload for the next page, cut to fit in a cookie."""
    kept: list[dict[str, str]] = []
    for index, note in enumerate(notes):
        short = {k: v[:NOTE_NAME] for k, v in note.items()}
        if len(_pack([*kept, short, {"kind": "more", "count": "0"}])) > NOTE_BYTES:
            kept.append({"kind": "more", "count": str(len(notes) - index)})
            break
        kept.append(short)
    return _pack(kept)


def _pack(notes: list[dict[str, str]]) -> str:
    raw = json.dumps(notes, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_notes(value: str) -> list[dict[str, str]]:
    """The notes back; anything malformed (the cookie is the browser's, anyone can forge
    one) is dropped: only a list of objects of known kinds and plain text values is kept."""
    try:
        notes = json.loads(base64.urlsafe_b64decode(value.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return []
    if not isinstance(notes, list):
        return []
    return [
        {k: _utf8(v[:NOTE_NAME]) for k, v in note.items() if k in NOTE_KEYS and isinstance(v, str)}
        for note in notes[:50]
        if isinstance(note, dict) and isinstance(note.get("kind"), str) and note["kind"] in NOTES
    ]


def _utf8(text: str) -> str:
    """JSON can carry lone surrogates ("\\ud800"), which no page can be encoded with."""
    return text.encode("utf-8", "replace").decode()


def shown_notes(config: AppConfig, language: str, notes: list[dict[str, str]]) -> list[dict]:
    """Each note as the page lists it: the file's name, what happened, good news or not."""
    shown = []
    for note in notes:
        count = whole_number(note.get("count", ""), 0, 10_000) or 0
        text = message(config, language, note["kind"], note.get("as", ""), count)
        ok = note["kind"] in ("stored", "removed", "duplicate", "more")
        shown.append({"name": note.get("name", ""), "text": text, "ok": ok})
    return shown


def set_note_cookie(response: web.StreamResponse, notes: list[dict[str, str]], tls: bool) -> None:
    response.set_cookie(
        NOTE_COOKIE, encode_notes(notes), httponly=True, samesite="Lax", secure=tls, path=PAGE
    )
