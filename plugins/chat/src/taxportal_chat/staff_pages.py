"""The firm's side: the inbox across all clients, and a conversation beside its client's
details, with Send (a plain form post: works without JavaScript). English only, as the
console is."""

from __future__ import annotations

from aiohttp import web

from taxportal.api import (
    PortalClient,
    client_documents,
    clients_of_portals,
    core_of,
    current_staff,
    plugin_settings,
    read_form,
    record_activity,
    render_in_console_frame,
    staff_required,
)
from taxportal_chat import answers, conversation, inbox
from taxportal_chat.conversation import Author, RateLimited
from taxportal_chat.i18n import catalog, refusal_text
from taxportal_chat.page_context import ChatUrls, before_of, conversation_context
from taxportal_chat.settings import SECTION, ChatSettings
from taxportal_chat.text import MessageRefused

INBOX = "/staff/messages"
PAGE = INBOX + "/{portal_id}"
SIDE = "staff"
LANGUAGE = "en"  # the console's language, whatever the browser's cookie says
PER_PAGE = 25
MAX_PAGE = 1_000_000
TOO_FAST = "You are sending messages too fast. Wait a minute and send again."


def urls(portal_id: int, return_id: int) -> ChatUrls:
    page = f"{INBOX}/{portal_id}"
    return ChatUrls(
        page=page,
        post=page,
        feed=f"{page}/feed",
        socket=f"{page}/socket",
        read=f"{page}/read",
        file=f"/staff/returns/{return_id}/uploads/{{id}}",  # View Documents' download, directly
    )


def _settings(request: web.Request) -> ChatSettings:
    return plugin_settings(core_of(request).config, SECTION, ChatSettings)


def _page_number(raw: str) -> int:
    """``?page=``: a sane whole number, else the first page."""
    if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 7:
        return max(1, min(int(raw), MAX_PAGE))
    return 1


@staff_required
async def inbox_page(request: web.Request) -> web.Response:
    search = request.query.get("q", "")[:100]
    page = _page_number(request.query.get("page", ""))
    result = await inbox.page(core_of(request), search, page, PER_PAGE)
    context = {"result": result, "search": search}
    return render_in_console_frame(request, "chat/inbox.html", context, catalog=catalog)


async def _client(request: web.Request) -> PortalClient:
    """The conversation's client, from the path (the core already refused a bad id)."""
    portal_id = int(request.match_info["portal_id"])
    client = (await clients_of_portals([portal_id])).get(portal_id)
    if client is None:
        raise web.HTTPNotFound()
    return client


@staff_required
async def conversation_page(request: web.Request) -> web.Response:
    return await _render(request, await _client(request))


@staff_required
async def attachment(request: web.Request) -> web.Response:
    """An attachment of the conversation, opened where the console serves the client's
    uploads (which checks access again)."""
    client = await _client(request)
    file_id = int(request.match_info["file_id"])
    raise web.HTTPFound(f"/staff/returns/{client.return_id}/uploads/{file_id}")


@staff_required
async def send(request: web.Request) -> web.Response:
    staff = current_staff(request)
    assert staff is not None  # the guard let the request in
    client = await _client(request)
    form = await read_form(request)
    text = form.get("body")
    if not isinstance(text, str):
        text = ""
    author = Author(SIDE, staff.staff_id, staff.name or staff.email)
    try:
        message = await conversation.post(
            core_of(request), _settings(request), client.portal_id, author, text
        )
    except MessageRefused as refused:
        error = refusal_text(LANGUAGE, refused)
        if answers.wants_json(request):
            return answers.refused(error)
        return await _render(request, client, draft=text, error=error)
    except RateLimited:
        if answers.wants_json(request):
            return answers.refused(TOO_FAST, 429)
        return await _render(request, client, draft=text, error=TOO_FAST, status=429)
    await record_activity(
        "chat_message_posted",
        principal=staff.principal,
        subject=f"portal:{client.portal_id}",
        message_id=message.id,
    )
    if answers.wants_json(request):
        return await answers.sent(message, SIDE, LANGUAGE)
    raise web.HTTPSeeOther(f"{INBOX}/{client.portal_id}#m-{message.id}")


async def _render(
    request: web.Request,
    client: PortalClient,
    *,
    draft: str = "",
    error: str = "",
    status: int = 200,
) -> web.Response:
    staff = current_staff(request)
    assert staff is not None
    shown = await conversation_context(
        core_of(request),
        _settings(request),
        client.portal_id,
        SIDE,
        LANGUAGE,
        urls(client.portal_id, client.return_id),
        before=before_of(request.query.get("before", "")),
        draft=draft,
        error=error,
    )
    if shown.read_moved:
        await record_activity(
            "chat_read", principal=staff.principal, subject=f"portal:{client.portal_id}"
        )
    if error and status == 200:
        status = 400
    context = {
        "chat": shown.context,
        "client": client,
        "documents": await client_documents(client.portal_id),
    }
    return render_in_console_frame(
        request, "chat/staff.html", context, status=status, catalog=catalog
    )
