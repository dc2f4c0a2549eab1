"""The File Viewer's unread marker: contributed by chat through the client marks hook,
gone once the firm read the conversation; a failing plugin never breaks the list."""

from __future__ import annotations

import re
from typing import Any

from taxportal.api import hookimpl
from taxportal_chat import conversation
from taxportal_chat.conversation import Author
from taxportal_chat.settings import ChatSettings
from tests.accounts import journey
from tests.chat.conftest import PLUGINS, another_client, taxpayer_on
from tests.chat.staff import INBOX, staff_on


def marks(html: str) -> list[tuple[str, str, str]]:
    return re.findall(
        r'<a class="badge-new" href="(/staff/messages/\d+)" aria-label="([^"]*)">([^<]*)</a>', html
    )


async def test_the_client_list_shows_unread_messages_until_read(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    luis = await taxpayer_on(await another_client(client), other=True)
    core = journey.core(client)
    for text in ("one", "two"):
        author = Author("taxpayer", sherry.account_id, "Sherry")
        await conversation.post(core, ChatSettings(), sherry.portal_id, author, text)
    ana = await staff_on(client)
    await conversation.post(core, ChatSettings(), luis.portal_id, Author("staff", 1, "Ana"), "hi")

    html = await (await ana.get("/staff/")).text()
    page = f"{INBOX}/{sherry.portal_id}"
    assert marks(html) == [(page, "2 unread messages", "2 unread")]  # Luis has none to read
    # beside Sherry's name, in her row
    row = next(r for r in html.split("<tr>") if "Sherry Núñez" in r)
    assert f'href="{page}"' in row

    assert (await ana.get(page)).status == 200
    assert marks(await (await ana.get("/staff/")).text()) == []


class Broken:
    @hookimpl
    async def taxportal_client_marks(self, portal_ids: list[int]) -> dict[int, Any]:
        raise RuntimeError("down")


async def test_a_failing_mark_leaves_the_list_working(
    build_app: Any, client_for: Any, caplog: Any
) -> None:
    client = await client_for(await build_app(Broken(), TAXPORTAL_PLUGINS__ENABLED=PLUGINS))
    await taxpayer_on(client)
    ana = await staff_on(client)
    response = await ana.get("/staff/")
    assert response.status == 200 and "Sherry Núñez" in await response.text()
    assert "client marks of" in caplog.text
