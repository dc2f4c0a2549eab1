"""A file attached to a message on the taxpayer's page (a multipart form, no JavaScript):
it lands in My Files like any upload, linked from the message; a refused file posts
nothing and says why, keeping the text."""

from __future__ import annotations

import re
from typing import Any

from taxportal.models import ActivityEntry, UploadedFile
from taxportal.testing.portal import PDF
from taxportal_chat import conversation
from tests.chat.conftest import another_client, taxpayer_on

PAGE = "/portal/messages"
BOUNDARY = "----chatformboundary7MA4YWxk"
BOUNDARY = "----chatformboundary7MA4YWxk"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200  # a Windows program


async def send(client: Any, text: str, name: str = "", data: bytes = b"") -> Any:
    html = await (await client.get(PAGE)).text()
    action = re.search(r'action="(/portal/messages\?csrf_token=[^"]+)"', html)
    assert action and 'enctype="multipart/form-data"' in html and 'type="file"' in html
    return await client.post(
        action.group(1),
        data=browser_form(text, name, data),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        allow_redirects=False,
    )


def browser_form(text: str, name: str, data: bytes) -> bytes:
    """The body a browser sends for the form: the text, then the file (its name as typed,
    in UTF-8; an empty file part when none was picked)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="body"\r\n\r\n'.encode()
        + text.encode(),
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data,
    ]
    return b"\r\n".join(parts) + f"\r\n--{BOUNDARY}--\r\n".encode()


async def test_a_pdf_lands_in_my_files_and_is_linked(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    response = await send(client, "Here is my W-2", "W-2 2024.pdf", PDF)
    assert response.status == 303, await response.text()

    stored = await UploadedFile.get(portal_id=sherry.portal_id)
    assert (stored.file_name, stored.state, stored.size) == ("W-2 2024.pdf", "stored", len(PDF))
    [message] = await conversation.latest(sherry.portal_id, 10)
    assert (message.body, message.file_id, message.file_name) == (
        "Here is my W-2",
        stored.id,
        "W-2 2024.pdf",
    )
    files_page = await (await client.get("/portal/files")).text()
    assert "W-2 2024.pdf" in files_page  # like any upload
    html = await (await client.get(PAGE)).text()
    link = f'<a href="/portal/files/{stored.id}"><bdi>W-2 2024.pdf</bdi></a>'
    assert link in html
    download = await client.get(f"/portal/files/{stored.id}")
    assert download.status == 200 and await download.read() == PDF
    logged = await ActivityEntry.filter(action="chat_message_posted").values("detail")
    assert logged == [{"detail": {"message_id": message.id, "file_id": stored.id}}]
    assert await ActivityEntry.filter(action="file_uploaded").count() == 1

    # the same bytes again: My Files keeps one copy, the message links the earlier one
    assert (await send(client, "again", "copy.pdf", PDF)).status == 303
    assert await UploadedFile.filter(portal_id=sherry.portal_id).count() == 1
    newest = (await conversation.latest(sherry.portal_id, 10))[-1]
    assert (newest.file_id, newest.file_name) == (stored.id, "W-2 2024.pdf")

    # another taxpayer cannot open it
    luis = await another_client(client)
    await taxpayer_on(luis, other=True)
    assert (await luis.get(f"/portal/files/{stored.id}")).status == 404


async def test_a_refused_file_posts_nothing_and_says_why(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    response = await send(client, "Is this OK?", "setup.pdf", EXE)
    assert response.status == 400
    html = await response.text()
    assert "This kind of file is not accepted. Accepted files:" in html
    assert ">Is this OK?</textarea>" in html  # the text stays in the box
    assert await conversation.latest(sherry.portal_id, 10) == []
    assert await UploadedFile.filter(portal_id=sherry.portal_id).count() == 0

    # a text that cannot be posted stores no file either
    response = await send(client, "x" * 5001, "W-2.pdf", PDF)
    assert response.status == 400 and "at most 5000 characters" in await response.text()
    assert await UploadedFile.filter(portal_id=sherry.portal_id).count() == 0


async def test_a_refused_file_in_spanish(chat_app: Any) -> None:
    client = await chat_app()
    await taxpayer_on(client, "es")
    response = await send(client, "¿Está bien?", "programa.pdf", EXE)
    assert response.status == 400
    html = await response.text()
    assert "No se acepta este tipo de archivo." in html and ">¿Está bien?</textarea>" in html


async def test_a_message_with_only_a_file(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    assert (await send(client, "", "1099.pdf", PDF)).status == 303
    [message] = await conversation.latest(sherry.portal_id, 10)
    assert message.body == "" and message.file_name == "1099.pdf"
    html = await (await client.get(PAGE)).text()
    assert "1099.pdf</bdi></a>" in html
    # neither text nor file: refused as before
    response = await send(client, "")
    assert response.status == 400 and "Write a message before you send it." in await response.text()


async def test_a_malformed_multipart_body_is_a_400(chat_app: Any) -> None:
    client = await chat_app()
    await taxpayer_on(client)
    html = await (await client.get(PAGE)).text()
    action = re.search(r'action="(/portal/messages\?csrf_token=[^"]+)"', html)
    assert action
    response = await client.post(
        action.group(1),
        data=b"--nope\r\nContent-Disposition: form-data; name=body\r\n\r\n" + b"x" * 300_000,
        headers={"Content-Type": "multipart/form-data; boundary=nope"},
        allow_redirects=False,
    )
    assert response.status == 400


async def test_the_firm_opens_an_attachment_from_the_conversation(chat_app: Any) -> None:
    from tests.chat.staff import INBOX, staff_on

    client = await chat_app()
    sherry = await taxpayer_on(client)
    assert (await send(client, "My 1099", "1099-INT.pdf", PDF)).status == 303
    stored = await UploadedFile.get(portal_id=sherry.portal_id)
    ana = await staff_on(client)
    page = f"{INBOX}/{sherry.portal_id}"
    html = await (await ana.get(page)).text()
    link = 'href="/staff/returns/'
    assert link in html and f"/uploads/{stored.id}" in html and "1099-INT.pdf" in html
    # the live feed's link goes through the conversation to the same download
    feed = await (await ana.get(f"{page}/feed?after=0")).json()
    [pushed] = [m for m in feed["messages"] if m["file_id"] == stored.id]
    opened = await ana.get(pushed["file_url"], allow_redirects=False)
    assert opened.status == 302 and opened.headers["Location"].endswith(f"/uploads/{stored.id}")
    download = await ana.get(opened.headers["Location"])
    assert download.status == 200 and await download.read() == PDF
    # another portal's conversation cannot be used to reach it: the download checks again
    assert (await ana.get(f"{INBOX}/999999/files/{stored.id}")).status == 404
