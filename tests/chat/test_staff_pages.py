"""The firm's side without JavaScript: the console's Messages, the inbox (order, unread
counts, search, pages), a conversation beside its client with Send and "Seen", and the
guards (a taxpayer never reaches it, unknown ids are 404)."""

from __future__ import annotations

import re
from typing import Any

from taxportal.models import ActivityEntry
from taxportal_chat import conversation
from taxportal_chat.conversation import Author
from taxportal_chat.settings import ChatSettings
from tests.accounts import journey
from tests.chat.conftest import another_client, taxpayer_on
from tests.chat.staff import INBOX, bodies, staff_on, staff_send, states

PORTAL_PAGE = "/portal/messages"


async def taxpayer_send(client: Any, text: str) -> None:
    token = await journey.form_token(client, PORTAL_PAGE)
    response = await client.post(
        PORTAL_PAGE, data={"csrf_token": token, "body": text}, allow_redirects=False
    )
    assert response.status == 303


def inbox_rows(html: str) -> list[tuple[str, str]]:
    """(client name, unread cell text) per row, in order."""
    rows = re.findall(r"<tr[^>]*>\s*<td>(.*?)</td>\s*<td>.*?</td>\s*<td>(.*?)</td>", html, re.S)
    return [
        (re.sub(r"<[^>]+>", "", name).strip(), re.sub(r"<[^>]+>", "", n).strip())
        for name, n in rows
    ]


async def test_inbox_lists_conversations_newest_first_with_unread_counts(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    luis_browser = await another_client(client)
    luis = await taxpayer_on(luis_browser, other=True)
    await taxpayer_send(client, "first from Sherry")
    await taxpayer_send(luis_browser, "from Luis")
    await taxpayer_send(client, "second from Sherry")
    ana = await staff_on(client)

    home = await (await ana.get("/staff/")).text()
    assert f'href="{INBOX}"' in home and ">Messages<" in home
    html = await (await ana.get(INBOX)).text()
    assert inbox_rows(html) == [("Sherry Núñez", "2 unread"), ("Luis Ortega", "1 unread")]
    assert (
        f'href="{INBOX}/{sherry.portal_id}"' in html and f'href="{INBOX}/{luis.portal_id}"' in html
    )
    assert "2 conversations" in html

    # Luis writes again: his conversation goes on top
    await taxpayer_send(luis_browser, "still there?")
    html = await (await ana.get(INBOX)).text()
    assert inbox_rows(html) == [("Luis Ortega", "2 unread"), ("Sherry Núñez", "2 unread")]

    # reading Sherry's conversation clears her count for the whole firm
    assert (await ana.get(f"{INBOX}/{sherry.portal_id}")).status == 200
    bob = await staff_on(client, "bob@firm.example.com", "Bob Lee")
    html = await (await bob.get(INBOX)).text()
    assert inbox_rows(html) == [("Luis Ortega", "2 unread"), ("Sherry Núñez", "None")]


async def test_inbox_search_by_client_and_pages(chat_app: Any) -> None:
    client = await chat_app()
    core = journey.core(client)
    sherry = await taxpayer_on(client)
    luis = await taxpayer_on(await another_client(client), other=True)
    settings = ChatSettings()
    await conversation.post(core, settings, sherry.portal_id, Author("taxpayer", 1, "S"), "hi")
    await conversation.post(core, settings, luis.portal_id, Author("taxpayer", 2, "L"), "hola")
    ana = await staff_on(client)

    for search, names in (
        ("ortega", ["Luis Ortega"]),
        ("LUIS", ["Luis Ortega"]),
        ("Núñez", ["Sherry Núñez"]),
        ("sherry@example.com", ["Sherry Núñez"]),
        ("0142", ["Luis Ortega"]),  # the end of his phone number
        ("nobody", []),
        ("50%_\\", []),  # LIKE's wildcards are taken literally
    ):
        response = await ana.get(INBOX, params={"q": search})
        assert response.status == 200
        assert [name for name, _ in inbox_rows(await response.text())] == names, search

    # 26 more conversations: a second page of the 25-row inbox
    for portal_id in range(
        sherry.portal_id + luis.portal_id + 100, sherry.portal_id + luis.portal_id + 126
    ):
        await conversation.post(core, settings, portal_id, Author("taxpayer", portal_id, "X"), "x")
    first = await (await ana.get(INBOX)).text()
    assert "28 conversations" in first and "Page 1 of 2" in first and 'rel="next"' in first
    assert len(inbox_rows(first)) == 25
    second = await (await ana.get(INBOX, params={"page": "2"})).text()
    rows = inbox_rows(second)
    assert [name for name, _ in rows] == ["Removed client", "Luis Ortega", "Sherry Núñez"]
    for page in ("0", "-1", "abc", "9" * 40, "1e9", "99"):
        assert (await ana.get(INBOX, params={"page": page})).status == 200


async def test_answer_from_the_conversation_page_and_see_what_was_read(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    await taxpayer_send(client, "Did you get my W-2?")
    ana = await staff_on(client)
    page = f"{INBOX}/{sherry.portal_id}"

    html = await (await ana.get(page)).text()
    assert bodies(html) == ["Did you get my W-2?"]
    assert "Sherry Núñez" in html and str(journey.LAST_YEAR) in html
    assert "Verified" in html and "Documents sent" in html
    assert "/staff/returns/" in html and "/documents" in html and "/uploads" in html
    assert await conversation.unread(sherry.portal_id, "staff") == 0  # reading marked it

    response = await staff_send(ana, sherry.portal_id, "Yes, <b>got it</b>.")
    assert response.status == 303
    assert re.fullmatch(rf"{page}#m-\d+", response.headers["Location"])
    html = await (await ana.get(page)).text()
    assert bodies(html)[-1] == "Yes, &lt;b&gt;got it&lt;/b&gt;."
    assert "Ana Ruiz" in html and states(html) == ["sent"]  # not read by Sherry yet

    taxpayer_html = await (await client.get(PORTAL_PAGE)).text()
    assert "Ana Ruiz" in taxpayer_html and "got it" in taxpayer_html
    html = await (await ana.get(page)).text()
    assert states(html) == ["seen"]

    # the activity log says who read and wrote, never what
    entries = await ActivityEntry.filter(subject=f"portal:{sherry.portal_id}").values(
        "actor", "action", "detail"
    )
    staff_entries = [e for e in entries if e["actor"].startswith("staff:")]
    assert {e["action"] for e in staff_entries} == {"chat_read", "chat_message_posted"}
    assert "got it" not in repr(entries) and "W-2" not in repr(entries)

    # another staff member sees the same conversation, and the firm's answer as seen
    bob = await staff_on(client, "bob@firm.example.com", "Bob Lee")
    bob_html = await (await bob.get(page)).text()
    assert bodies(bob_html) == bodies(html) and states(bob_html) == ["seen"]
    assert "Ana Ruiz" in bob_html


async def test_refusals_keep_the_text_and_the_limit_counts_per_staff_member(chat_app: Any) -> None:
    client = await chat_app(TAXPORTAL_CHAT__POSTS_PER_MINUTE="1")
    sherry = await taxpayer_on(client)
    ana = await staff_on(client)
    response = await staff_send(ana, sherry.portal_id, "   ")
    assert response.status == 400 and "Write a message before you send it." in await response.text()
    response = await staff_send(ana, sherry.portal_id, "x" * 5001)
    assert response.status == 400 and "at most 5000 characters" in await response.text()
    response = await staff_send(ana, sherry.portal_id, "bad\x00byte")
    assert response.status in (400, 422)
    assert (await staff_send(ana, sherry.portal_id, "one")).status == 303
    response = await staff_send(ana, sherry.portal_id, "two")
    assert response.status == 429 and ">two</textarea>" in await response.text()
    # one preparer's limit is theirs: a colleague still answers
    bob = await staff_on(client, "bob@firm.example.com", "Bob Lee")
    assert (await staff_send(bob, sherry.portal_id, "three")).status == 303


async def test_unknown_ids_are_404_and_taxpayers_never_reach_the_console(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    ana = await staff_on(client)
    for path in (
        f"{INBOX}/999999",
        f"{INBOX}/0",
        f"{INBOX}/-1",
        f"{INBOX}/abc",
        f"{INBOX}/" + "9" * 30,
    ):
        assert (await ana.get(path)).status == 404, path
    token = await journey.form_token(ana, INBOX + f"/{sherry.portal_id}")
    response = await ana.post(f"{INBOX}/999999", data={"csrf_token": token, "body": "hi"})
    assert response.status == 404
    assert await conversation.latest(999999, 10) == []

    # the taxpayer, signed in on the portal, is sent to the console's sign-in
    for path in (INBOX, f"{INBOX}/{sherry.portal_id}"):
        response = await client.get(path, allow_redirects=False)
        assert response.status in (302, 303) and "/staff/login" in response.headers["Location"]
    token = await journey.form_token(client, PORTAL_PAGE)
    response = await client.post(
        f"{INBOX}/{sherry.portal_id}",
        data={"csrf_token": token, "body": "sneaky"},
        allow_redirects=False,
    )
    assert response.status in (302, 303, 403)
    assert await conversation.latest(sherry.portal_id, 10) == []


async def test_the_firms_live_send_answers_json(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    await taxpayer_send(client, "Hello?")
    ana = await staff_on(client)
    page = f"{INBOX}/{sherry.portal_id}"
    html = await (await ana.get(page)).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    sent = await ana.post(
        page,
        data={"csrf_token": token.group(1), "body": "Hi Sherry"},
        headers={"Accept": "application/json"},
    )
    assert sent.status == 201
    message = (await sent.json())["message"]
    assert message["mine"] and message["author"] == "staff" and "Hi Sherry" in message["html"]
    refused = await ana.post(
        page,
        data={"csrf_token": token.group(1), "body": " "},
        headers={"Accept": "application/json"},
    )
    assert refused.status == 400 and "Write a message" in (await refused.json())["error"]
