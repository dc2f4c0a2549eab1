"""The taxpayer's Messages page: the conversation, and Send (works without JavaScript)."""

from __future__ import annotations

from aiohttp import web

from taxportal.api import (
    N_,
    core_of,
    current_taxpayer,
    plugin_settings,
    portal_of,
    read_form,
    record_activity,
    render_in_portal_frame,
    taxpayer_required,
)
from taxportal_chat import conversation
from taxportal_chat.conversation import Author, RateLimited
from taxportal_chat.i18n import catalog, refusal_text
from taxportal_chat.page_context import ChatUrls, before_of, conversation_context
from taxportal_chat.settings import SECTION, ChatSettings
from taxportal_chat.text import MessageRefused

PAGE = "/portal/messages"
URLS = ChatUrls(
    page=PAGE,
    post=PAGE,
    feed=f"{PAGE}/feed",
    socket=f"{PAGE}/socket",
    read=f"{PAGE}/read",
)
SIDE = "taxpayer"
TOO_FAST = N_("You are sending messages too fast. Wait a minute and send again.")


def _settings(request: web.Request) -> ChatSettings:
    return plugin_settings(core_of(request).config, SECTION, ChatSettings)


@taxpayer_required
async def messages_page(request: web.Request) -> web.Response:
    return await _render(request)


@taxpayer_required
async def send(request: web.Request) -> web.Response:
    taxpayer = current_taxpayer(request)
    assert taxpayer is not None  # the guard let the request in
    form = await read_form(request)
    text = form.get("body")
    text = text if isinstance(text, str) else ""
    portal = await portal_of(request)
    name = f"{portal.first_name} {portal.last_name}".strip()
    author = Author(SIDE, taxpayer.account_id, name)
    try:
        message = await conversation.post(
            core_of(request), _settings(request), taxpayer.portal_id, author, text
        )
    except MessageRefused as refused:
        return await _render(request, draft=text, error=refusal_text(taxpayer.language, refused))
    except RateLimited:
        error = catalog.gettext(
            taxpayer.language, "You are sending messages too fast. Wait a minute and send again."
        )
        return await _render(request, draft=text, error=error, status=429)
    await record_activity(
        "chat_message_posted",
        principal=taxpayer.principal,
        subject=f"portal:{taxpayer.portal_id}",
        message_id=message.id,
    )
    raise web.HTTPSeeOther(f"{PAGE}#m-{message.id}")


async def _render(
    request: web.Request, *, draft: str = "", error: str = "", status: int = 200
) -> web.Response:
    taxpayer = current_taxpayer(request)
    assert taxpayer is not None
    shown = await conversation_context(
        core_of(request),
        _settings(request),
        taxpayer.portal_id,
        SIDE,
        taxpayer.language,
        URLS,
        before=before_of(request.query.get("before", "")),
        draft=draft,
        error=error,
    )
    if shown.read_moved:
        await record_activity(
            "chat_read", principal=taxpayer.principal, subject=f"portal:{taxpayer.portal_id}"
        )
    if error and status == 200:
        status = 400
    return await render_in_portal_frame(
        request, "chat/portal.html", {"chat": shown.context}, status=status, catalog=catalog
    )
