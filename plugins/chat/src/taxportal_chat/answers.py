"""Send's answer to the live script: JSON when the page asked for it (``Accept:
application/json``), so the message shows at once; a plain form post still gets its 303."""

from __future__ import annotations

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

from taxportal_chat import conversation
from taxportal_chat.models import ChatMessage
from taxportal_chat.views import message_view


async def posted_form(request: web.Request) -> MultiDictProxy[str | web.FileField]:
    """Send's form; a body that does not parse (a multipart without a boundary, a charset
    nobody knows) is a 400, not an error page."""
    try:
        return await request.post()
    except (ValueError, LookupError, HttpProcessingError):
        raise web.HTTPBadRequest(text="The form could not be read.") from None


def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


async def sent(message: ChatMessage, side: str, language: str) -> web.Response:
    """201 with the message as the feed shows it (``mine``, not yet ``seen``)."""
    read = await conversation.positions(message.portal_id)
    view = message_view(message, side, read, language)
    return web.json_response({"message": view}, status=201)


def refused(text: str, status: int = 400) -> web.Response:
    return web.json_response({"error": text}, status=status)
