"""Messages as the pages and the live feed show them (the same shape for both)."""

from __future__ import annotations

from typing import Any

from taxportal_chat.conversation import ReadPositions, other_side
from taxportal_chat.i18n import system_text
from taxportal_chat.models import ChatMessage
from taxportal_chat.text import as_html

# where each side opens an attachment: My Files' download; the firm's through the
# conversation (staff_pages.attachment sends it on to View Documents' download)
FILE_LINKS = {
    "taxpayer": "/portal/files/{id}",
    "staff": "/staff/messages/{portal_id}/files/{id}",
}


def message_view(
    message: ChatMessage, side: str, read: ReadPositions, language: str, file_url: str = ""
) -> dict[str, Any]:
    """One message for ``side``'s page: ``mine`` when ``side`` wrote it, ``seen`` once the
    other side's read position reached it; ``file_url`` (``{id}``: the upload) links an
    attachment where this viewer may open it."""
    mine = message.author == side
    file_url = file_url or FILE_LINKS[side].format(portal_id=message.portal_id, id="{id}")
    return {
        "id": message.id,
        "author": message.author,
        "author_name": message.author_name,
        "mine": mine,
        "html": as_html(message.body) if message.author != "system" else "",
        "system": system_text(language, message.body) if message.author == "system" else "",
        "file_id": message.file_id,
        "file_name": message.file_name,
        "file_url": file_url.format(id=message.file_id) if file_url and message.file_id else "",
        "at": message.created_at.isoformat(timespec="seconds"),
        "seen": mine and read.read_by(other_side(side)) >= message.id,
    }
