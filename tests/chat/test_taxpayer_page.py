"""The taxpayer's Messages page without JavaScript: the sidebar item, Send by a plain form
post, refusals that keep what was typed, Spanish, and nobody else's conversation."""

from __future__ import annotations

import re
from typing import Any

from taxportal_chat import conversation
from taxportal_chat.conversation import Author
from taxportal_chat.settings import ChatSettings
from tests.accounts import journey
from tests.chat.conftest import another_client, taxpayer_on

PAGE = "/portal/messages"


async def send(client: Any, text: str) -> Any:
    token = await journey.form_token(client, PAGE)
    return await client.post(PAGE, data={"csrf_token": token, "body": text}, allow_redirects=False)


def bodies(html: str) -> list[str]:
    return re.findall(r'<div class="chat-body">(.*?)</div>', html, re.S)


async def test_send_without_javascript_and_see_the_answer(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    home = await (await client.get("/portal/")).text()
    assert f'href="{PAGE}"' in home and ">Messages<" in home

    empty = await (await client.get(PAGE)).text()
    assert "No messages yet." in empty

    response = await send(client, "Did you get my W-2? See https://example.com/w2?x=1.")
    assert response.status == 303
    assert re.fullmatch(rf"{PAGE}#m-\d+", response.headers["Location"])
    core = journey.core(client)
    await conversation.post(
        core, ChatSettings(), sherry.portal_id, Author("staff", 1, "Ana Ruiz"), "Yes <b>got it</b>"
    )

    html = await (await client.get(PAGE)).text()
    assert bodies(html) == [
        'Did you get my W-2? See <a href="https://example.com/w2?x=1" rel="noopener noreferrer'
        ' nofollow" target="_blank">https://example.com/w2?x=1</a>.',
        "Yes &lt;b&gt;got it&lt;/b&gt;",  # shown as text, never as markup
    ]
    assert "Ana Ruiz" in html and ">You<" in html
    # opening the page read Ana's answer; Ana's side sees it as seen
    assert await conversation.unread(sherry.portal_id, "taxpayer") == 0


async def test_a_refused_message_keeps_what_was_typed(chat_app: Any) -> None:
    client = await chat_app()
    await taxpayer_on(client)
    long_text = "Mi pregunta " + "x" * 5000
    response = await send(client, long_text)
    assert response.status == 400
    html = await response.text()
    assert "at most 5000 characters" in html
    assert long_text in html  # in the box, to shorten rather than retype
    assert bodies(html) == []

    response = await send(client, "   ")
    assert response.status == 400 and "Write a message before you send it." in await response.text()

    response = await send(client, "bad\x00byte")
    assert response.status in (400, 422) and bodies(await response.text()) == []


async def test_too_many_messages_in_a_minute_are_refused_and_kept(chat_app: Any) -> None:
    client = await chat_app(TAXPORTAL_CHAT__POSTS_PER_MINUTE="2")
    await taxpayer_on(client)
    assert (await send(client, "one")).status == 303
    assert (await send(client, "two")).status == 303
    response = await send(client, "three")
    assert response.status == 429
    html = await response.text()
    assert "too fast" in html and ">three</textarea>" in html


async def test_the_page_in_spanish(chat_app: Any) -> None:
    client = await chat_app()
    await taxpayer_on(client, "es")
    home = await (await client.get("/portal/")).text()
    assert ">Mensajes<" in home
    html = await (await client.get(PAGE)).text()
    assert "Todavía no hay mensajes." in html and ">Enviar<" in html
    response = await send(client, "")
    assert "Escriba un mensaje antes de enviarlo." in await response.text()


async def test_each_taxpayer_sees_only_their_own_conversation(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    assert (await send(client, "Sherry's private question")).status == 303
    luis_client = await another_client(client)
    luis = await taxpayer_on(luis_client, other=True)
    assert luis.portal_id != sherry.portal_id
    html = await (await luis_client.get(PAGE)).text()
    assert "Sherry" not in html and bodies(html) == []
    # ?before= cannot reach into another conversation either
    html = await (await luis_client.get(f"{PAGE}?before=999999")).text()
    assert bodies(html) == []


async def test_the_page_is_guarded_and_odd_queries_are_harmless(chat_app: Any) -> None:
    client = await chat_app()
    response = await client.get(PAGE, allow_redirects=False)
    assert response.status in (302, 303) and "/portal/login" in response.headers["Location"]
    await taxpayer_on(client)
    for query in ("?before=-1", "?before=abc", "?before=" + "9" * 40, "?before=1e9"):
        assert (await client.get(PAGE + query)).status == 200
    assert (await client.get(PAGE + "?before=%00")).status == 400  # the core refuses a NUL


async def test_without_the_plugin_there_is_no_messages_page(
    build_app: Any, client_for: Any
) -> None:
    client = await client_for(await build_app())  # the tests' default: chat off
    await journey.registered_and_verified(client)
    home = await (await client.get("/portal/")).text()
    assert PAGE not in home and "Messages" not in home
    assert (await client.get(PAGE)).status == 404
