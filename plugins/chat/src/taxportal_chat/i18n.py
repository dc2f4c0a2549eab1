"""The plugin's own catalog, and the words for a refused message."""

from __future__ import annotations

from pathlib import Path

from taxportal.api import N_, Translations
from taxportal_chat.text import MessageRefused

catalog = Translations(Path(__file__).resolve().parent / "locale")

_REFUSALS = {
    "empty": N_("Write a message before you send it."),
    "control": N_("The message holds characters that cannot be sent. Remove them and send again."),
}


def refusal_text(language: str, refused: MessageRefused) -> str:
    if refused.reason == "too_long":
        return catalog.gettext(
            language,
            "The message is too long: at most %(limit)d characters. Shorten it or split it in two.",
            limit=refused.limit,
        )
    return catalog.gettext(language, _REFUSALS[refused.reason])


# a system line's body is "<code>" or "<code>:<detail>"; its words are the plugin's
_SYSTEM_LINES = {
    "documents_sent": N_("The firm sent documents to Files From My Preparer."),
    "document_signed": N_("A document was signed."),
    "file_uploaded": N_("A file was uploaded to My Files."),
}


def system_text(language: str, code: str) -> str:
    words = _SYSTEM_LINES.get(code.split(":", 1)[0])
    return catalog.gettext(language, words) if words else ""
