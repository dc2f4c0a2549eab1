"""System lines: portal events become one line of the portal's conversation, however many
times the event is heard (every server process hears each one), in each reader's language;
they are never unread and never count towards anyone's limit."""

from __future__ import annotations

from typing import Any

from taxportal.events import DocumentSigned, DocumentsSent, FileUploaded
from taxportal.testing.portal import PDF
from taxportal_chat import conversation
from taxportal_chat.conversation import Author
from taxportal_chat.models import ChatMessage
from taxportal_chat.settings import ChatSettings
from tests.accounts import journey
from tests.chat.conftest import taxpayer_on
from tests.chat.staff import INBOX, run_jobs, staff_on, system_lines


async def test_each_event_makes_one_line_however_often_it_is_heard(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    plugins = journey.core(client).plugins
    events = (
        FileUploaded(sherry.portal_id, 41),
        DocumentsSent(sherry.portal_id, (7, 8)),
        DocumentSigned(sherry.portal_id, 7, "taxpayer"),
    )
    for event in events:  # two processes heard it: two deliveries
        await plugins.deliver(event)
        await plugins.deliver(event)
    await run_jobs(client)
    for event in events:  # a third, late: its job has run and is gone
        await plugins.deliver(event)
    await run_jobs(client)

    lines = await ChatMessage.filter(portal_id=sherry.portal_id).order_by("id")
    assert [(m.author, m.body) for m in lines] == [
        ("system", "file_uploaded"),
        ("system", "documents_sent:2"),
        ("system", "document_signed"),
    ]
    # the same documents sent again in another order are the same event; others are not
    await plugins.deliver(DocumentsSent(sherry.portal_id, (8, 7)))
    await plugins.deliver(DocumentSigned(sherry.portal_id, 7, "spouse"))
    await run_jobs(client)
    assert await ChatMessage.filter(portal_id=sherry.portal_id).count() == 4

    html = await (await client.get("/portal/messages")).text()
    assert system_lines(html) == [
        "A file was uploaded to My Files.",
        "The firm sent documents to Files From My Preparer.",
        "A document was signed.",
        "A document was signed.",
    ]
    assert await conversation.unread(sherry.portal_id, "staff") == 0
    assert await conversation.unread(sherry.portal_id, "taxpayer") == 0
    ana = await staff_on(client)
    staff_html = await (await ana.get(f"{INBOX}/{sherry.portal_id}")).text()
    assert system_lines(staff_html) == system_lines(html)


async def test_a_spanish_taxpayer_reads_the_lines_in_spanish(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client, "es")
    await journey.core(client).plugins.deliver(FileUploaded(sherry.portal_id, 5))
    await run_jobs(client)
    html = await (await client.get("/portal/messages")).text()
    [line] = system_lines(html)
    assert line != "A file was uploaded to My Files." and "Mis archivos" in line
    ana = await staff_on(client)  # the console stays in English
    staff_html = await (await ana.get(f"{INBOX}/{sherry.portal_id}")).text()
    assert system_lines(staff_html) == ["A file was uploaded to My Files."]


async def test_lines_do_not_count_towards_the_limit(chat_app: Any) -> None:
    client = await chat_app(TAXPORTAL_CHAT__POSTS_PER_MINUTE="1")
    sherry = await taxpayer_on(client)
    plugins = journey.core(client).plugins
    for file_id in range(1, 6):
        await plugins.deliver(FileUploaded(sherry.portal_id, file_id))
    await run_jobs(client)
    assert await ChatMessage.filter(portal_id=sherry.portal_id, author="system").count() == 5
    author = Author("taxpayer", sherry.account_id, "Sherry")
    core = journey.core(client)
    await conversation.post(core, ChatSettings(posts_per_minute=1), sherry.portal_id, author, "hi")


async def test_a_real_upload_makes_its_line(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/octet-stream",
        "X-File-Name": "W-2.pdf",
        "X-CSRF-Token": await journey.form_token(client, "/portal/files"),
    }
    response = await client.put("/portal/files/upload", data=PDF, headers=headers)
    assert response.status == 201, await response.text()
    await run_jobs(client)
    lines = await ChatMessage.filter(portal_id=sherry.portal_id, author="system")
    assert [m.body for m in lines] == ["file_uploaded"]
