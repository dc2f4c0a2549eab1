"""What a conversation's page needs, the same for the taxpayer's page and the firm's: the
newest messages (reading up to them), where the forms and the live feed go."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from taxportal.api import Core
from taxportal_chat import conversation
from taxportal_chat.settings import ChatSettings
from taxportal_chat.views import message_view


@dataclass(frozen=True)
class ChatUrls:
    """A side's addresses for one conversation: its page (``?before=`` pages back) and
    Send; the live script's feed (``?after=``), socket and read mark; ``file``: where the
    viewer opens an attachment (``{id}``: the upload's id; empty: no link); ``attach``:
    Send takes a file (the taxpayer's, into My Files)."""

    page: str
    post: str
    feed: str
    socket: str
    read: str
    file: str = ""
    attach: bool = False


@dataclass(frozen=True)
class Shown:
    """The context for ``chat/conversation.html`` and whether reading it moved the side's
    read position (to record it)."""

    context: dict[str, Any]
    read_moved: bool


async def conversation_context(
    core: Core,
    settings: ChatSettings,
    portal_id: int,
    side: str,
    language: str,
    urls: ChatUrls,
    *,
    before: int | None = None,
    draft: str = "",
    error: str = "",
) -> Shown:
    messages = await conversation.latest(portal_id, settings.page_size, before)
    moved = False
    if messages and before is None:  # the newest is on screen: read up to it
        moved = await conversation.mark_read(core, portal_id, side, messages[-1].id)
    read = await conversation.positions(portal_id)
    context = {
        "side": side,
        "messages": [message_view(m, side, read, language, urls.file) for m in messages],
        "earlier": messages[0].id if len(messages) == settings.page_size else None,
        "urls": asdict(urls),
        "draft": draft,
        "error": error,
        "max_length": settings.max_length,
        "last_id": read.last_message_id,
        "poll_seconds": settings.poll_seconds,
    }
    return Shown(context, moved)


def before_of(raw: str) -> int | None:
    """``?before=<id>``: an earlier page; anything but a sane id is the newest page."""
    if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 18:
        return int(raw)
    return None
