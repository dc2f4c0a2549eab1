"""Send's answer to the live script: JSON when the page asked for it (``Accept:
application/json``), so the message shows at once; a plain form post still gets its 303."""

from __future__ import annotations

from aiohttp import web

from taxportal_chat import conversation
from taxportal_chat.models import ChatMessage
from taxportal_chat.views import message_view


def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


async def sent(message: ChatMessage, side: str, language: str) -> web.Response:
    """201 with the message as the feed shows it (``mine``, not yet ``seen``)."""
    read = await conversation.positions(message.portal_id)
    view = message_view(message, side, read, language)
    return web.json_response({"message": view}, status=201)


def refused(text: str, status: int = 400) -> web.Response:
    return web.json_response({"error": text}, status=status)
