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
from taxportal_chat import answers, attach_form, conversation
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
    file="/portal/files/{id}",  # My Files' download
    attach=True,
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
    core, settings = core_of(request), _settings(request)
    if request.content_type == "multipart/form-data":  # the form with its file input
        try:
            sent = await attach_form.read(
                request, core, taxpayer.principal, settings.max_length, taxpayer.language
            )
        except attach_form.BadForm:
            raise web.HTTPBadRequest() from None
        if sent.refusal:  # nothing is posted; the text stays in the box
            if answers.wants_json(request):
                return answers.refused(sent.refusal)
            return await _render(request, draft=sent.text, error=sent.refusal)
    else:
        form = await read_form(request)
        text = form.get("body")
        sent = attach_form.Sent(text if isinstance(text, str) else "")
    portal = await portal_of(request)
    name = f"{portal.first_name} {portal.last_name}".strip()
    author = Author(SIDE, taxpayer.account_id, name)
    upload = sent.upload
    try:
        message = await conversation.post(
            core,
            settings,
            taxpayer.portal_id,
            author,
            sent.text,
            file_id=upload.id if upload else None,
            file_name=upload.file_name if upload else "",
        )
    except MessageRefused as refused:
        error = refusal_text(taxpayer.language, refused)
        if answers.wants_json(request):
            return answers.refused(error)
        return await _render(request, draft=sent.text, error=error)
    except RateLimited:
        error = catalog.gettext(
            taxpayer.language, "You are sending messages too fast. Wait a minute and send again."
        )
        if answers.wants_json(request):
            return answers.refused(error, 429)
        return await _render(request, draft=sent.text, error=error, status=429)
    await record_activity(
        "chat_message_posted",
        principal=taxpayer.principal,
        subject=f"portal:{taxpayer.portal_id}",
        message_id=message.id,
        **({"file_id": upload.id} if upload else {}),
    )
    if answers.wants_json(request):
        return await answers.sent(message, SIDE, taxpayer.language)
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
