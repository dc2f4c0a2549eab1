"""What the My Files pages show, without a server: sizes, the download header, the notes a
no-JavaScript upload leaves in a cookie."""

from __future__ import annotations

import base64
import json

import pytest

from taxportal.config import load_config
from taxportal.web.uploads import my_files_view as view


@pytest.mark.parametrize(
    ("size", "english", "spanish"),
    [
        (0, "0 B", "0 B"),
        (1023, "1023 B", "1023 B"),
        (1536, "1.5 KB", "1,5 KB"),
        (25 * 1024 * 1024, "25 MB", "25 MB"),
        (150 * 1024 * 1024, "150 MB", "150 MB"),
        (3 * 1024**4, "3 TB", "3 TB"),
    ],
)
def test_human_size(size: int, english: str, spanish: str) -> None:
    assert view.human_size(size, "en") == english
    assert view.human_size(size, "es") == spanish


def test_a_long_batch_of_notes_fits_in_a_cookie_and_says_how_many_more() -> None:
    config = load_config(path=None, env={})
    notes = [{"kind": "stored", "name": "🧾" * 200 + f" {n}.pdf"} for n in range(40)]
    value = view.encode_notes(notes)
    assert len(value) <= view.NOTE_BYTES
    kept = view.decode_notes(value)
    assert kept[-1]["kind"] == "more"
    shown = view.shown_notes(config, "en", kept)
    assert shown[-1]["text"] == f"And {40 - (len(kept) - 1)} more."
    assert all(len(note.get("name", "")) <= view.NOTE_NAME for note in kept)


@pytest.mark.parametrize(
    "value",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"{}").decode(),
        base64.urlsafe_b64encode(json.dumps([{"kind": "<b>x</b>"}, 3]).encode()).decode(),
    ],
)
def test_a_cookie_the_server_did_not_write_shows_nothing(value: str) -> None:
    assert view.decode_notes(value) == []
