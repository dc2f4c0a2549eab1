"""The live side over HTTP, on both databases: the feed (catch-up and polling), the read
mark, JSON answers to Send, and the WebSocket (who may open it, what reaches it, when it
closes)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from taxportal.models import WebSession
from taxportal.services.accounts import staff as staff_service
from taxportal.web.keys import CORE
from taxportal_chat import conversation
from taxportal_chat.conversation import Author
from taxportal_chat.settings import ChatSettings
from tests.accounts import journey
from tests.chat.conftest import another_client, taxpayer_on
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_from, sign_in

PAGE = "/portal/messages"
ANA = Author("staff", 1, "Ana Ruiz")


def origin(client: Any) -> str:
    return str(client.make_url("/")).rstrip("/")


async def send_json(client: Any, text: str) -> Any:
    token = await journey.form_token(client, PAGE)
    return await client.post(
        PAGE,
        data={"csrf_token": token, "body": text},
        headers={"Accept": "application/json"},
        allow_redirects=False,
    )


async def staff_post(client: Any, portal_id: int, text: str) -> int:
    message = await conversation.post(journey.core(client), ChatSettings(), portal_id, ANA, text)
    return message.id


async def socket_of(client: Any, path: str = f"{PAGE}/socket", **headers: str) -> Any:
    return await client.ws_connect(path, headers={"Origin": origin(client), **headers})


async def next_frame(socket: Any, timeout: float = 5) -> dict[str, Any]:
    frame = await socket.receive(timeout=timeout)
    assert frame.type == WSMsgType.TEXT, frame
    return json.loads(frame.data)


async def staff_on(client: Any) -> Any:
    """A console user signed in (both factors) on a second client of the same app."""
    await staff_service.add_staff(client.app[CORE], ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    staff = await another_client(client)
    await sign_in(staff)
    return staff


async def test_send_answers_json_and_the_feed_catches_up(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    response = await send_json(client, "My W-2 is at https://example.com/w2")
    assert response.status == 201
    mine = (await response.json())["message"]
    assert mine["mine"] is True and mine["seen"] is False and mine["author"] == "taxpayer"
    assert '<a href="https://example.com/w2"' in mine["html"]
    answer_id = await staff_post(client, sherry.portal_id, "Got it <b>thanks</b>")

    feed = await (await client.get(f"{PAGE}/feed?after={mine['id']}")).json()
    assert [m["id"] for m in feed["messages"]] == [answer_id]
    assert feed["messages"][0]["html"] == "Got it &lt;b&gt;thanks&lt;/b&gt;"
    assert feed["messages"][0]["author_name"] == "Ana Ruiz" and not feed["messages"][0]["mine"]
    assert feed["read"] == {"taxpayer": mine["id"], "staff": answer_id}  # Ana read hers
    everything = await (await client.get(f"{PAGE}/feed?after=0")).json()
    assert [m["id"] for m in everything["messages"]] == [mine["id"], answer_id]
    assert everything["messages"][0]["seen"] is True  # Ana's position passed it
    assert everything["more"] is False

    for bad in ("-1", "x", "1" * 30, "1\x00"):
        assert (await client.get(f"{PAGE}/feed", params={"after": bad})).status in (400, 404)

    refused = await send_json(client, "   ")
    assert refused.status == 400
    assert (await refused.json())["error"] == "Write a message before you send it."

    luis = await taxpayer_on(await another_client(client), other=True)
    theirs = await (await luis.client.get(f"{PAGE}/feed?after=0")).json()
    assert theirs["messages"] == []  # their own conversation, never Sherry's
    nobody = await another_client(client)
    response = await nobody.get(f"{PAGE}/feed?after=0", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/portal/login"


async def test_the_read_mark_moves_forward_only_with_the_token(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    first = await staff_post(client, sherry.portal_id, "one")
    second = await staff_post(client, sherry.portal_id, "two")
    read = f"{PAGE}/read"
    assert (await client.post(read, json={"up_to": first})).status == 403  # no CSRF token
    token = await journey.form_token(client, PAGE)  # the page read up to "two" already
    headers = {"X-CSRF-Token": token}
    await conversation.post(journey.core(client), ChatSettings(), sherry.portal_id, ANA, "three")
    third = (await conversation.positions(sherry.portal_id)).last_message_id
    response = await client.post(read, json={"up_to": third}, headers=headers)
    assert response.status == 200 and (await response.json()) == {"moved": True}
    again = await client.post(read, json={"up_to": second}, headers=headers)
    assert (await again.json()) == {"moved": False}  # never back
    assert await conversation.unread(sherry.portal_id, "taxpayer") == 0
    past = await client.post(read, json={"up_to": third + 10}, headers=headers)
    assert (await past.json()) == {"moved": False}  # never past the newest
    for body in (b"", b"{", b"[]", b'{"up_to": true}', b'{"up_to": -3}', b"[" * 1000):
        response = await client.post(read, data=body, headers=headers)
        assert response.status == 400, body
    huge = await client.post(read, data=b'{"up_to": 1' + b" " * 5000 + b"}", headers=headers)
    assert huge.status == 413


async def test_a_post_and_a_read_mark_reach_open_sockets_of_both_sides(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    staff = await staff_on(client)
    mine = await socket_of(client)
    firm = await socket_of(staff, f"/staff/messages/{sherry.portal_id}/socket")

    sent = await (await send_json(client, "Hola, ¿recibieron mi W-2?")).json()
    for socket, is_mine in ((mine, True), (firm, False)):
        frame = await next_frame(socket)
        assert frame["type"] == "message"
        assert frame["message"]["id"] == sent["message"]["id"]
        assert frame["message"]["mine"] is is_mine
        assert frame["message"]["html"] == "Hola, ¿recibieron mi W-2?"

    token = await csrf_from(staff, "/staff/")
    response = await staff.post(
        f"/staff/messages/{sherry.portal_id}/read",
        json={"up_to": sent["message"]["id"]},
        headers={"X-CSRF-Token": token},
    )
    assert response.status == 200 and (await response.json()) == {"moved": True}
    seen = {"type": "read", "side": "staff", "read_id": sent["message"]["id"]}
    assert await next_frame(mine) == seen  # Sherry's page turns "Sent" into "Seen"
    assert await next_frame(firm) == seen

    answer = await staff_post(client, sherry.portal_id, "Yes")
    assert (await next_frame(mine))["message"]["id"] == answer
    assert (await next_frame(firm))["message"]["mine"] is True
    feed = await (await staff.get(f"/staff/messages/{sherry.portal_id}/feed?after=0")).json()
    assert [m["id"] for m in feed["messages"]] == [sent["message"]["id"], answer]
    assert feed["messages"][0]["seen"] is False and feed["messages"][1]["mine"] is True
    # a conversation of no portal: nothing to feed nor to listen to
    assert (await staff.get("/staff/messages/999999/feed?after=0")).status == 404
    assert await refused(staff, "/staff/messages/999999/socket", Origin=origin(client)) == 404
    await mine.close()
    await firm.close()


async def refused(client: Any, path: str, **headers: str) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as failed:
        await client.ws_connect(path, headers=headers)
    return failed.value.status


async def test_the_socket_is_refused_without_the_right_session_or_origin(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    own = origin(client)
    socket = f"{PAGE}/socket"
    firm = f"/staff/messages/{sherry.portal_id}/socket"
    nobody = await another_client(client)
    assert await refused(nobody, socket, Origin=own) == 403
    assert await refused(nobody, firm, Origin=own) in (303, 403)
    assert await refused(client, socket) == 403  # no Origin
    assert await refused(client, socket, Origin="https://evil.example") == 403
    assert await refused(client, socket, Origin="null") == 403
    assert await refused(client, firm, Origin=own) in (303, 403)  # a taxpayer is no staff
    luis = await taxpayer_on(await another_client(client), other=True)
    assert await refused(luis.client, firm, Origin=own) in (303, 403)

    # Luis's own socket hears his conversation only
    theirs = await socket_of(luis.client)
    await staff_post(client, sherry.portal_id, "for Sherry")
    luis_id = await staff_post(client, luis.portal_id, "for Luis")
    assert (await next_frame(theirs))["message"]["id"] == luis_id
    await theirs.close()


async def test_the_socket_closes_when_the_session_ends(chat_app: Any) -> None:
    client = await chat_app(TAXPORTAL_CHAT__RECHECK_SECONDS="0.3")
    sherry = await taxpayer_on(client)
    watched = await socket_of(client)  # re-checked every 0.3 s
    framed = await socket_of(client)  # re-checked at its next frame too
    assert (await journey.sign_out(client)).status == 303
    await framed.send_str("ping")
    closed = await framed.receive(timeout=2)
    assert closed.type == WSMsgType.CLOSE and closed.data == 4401
    closed = await watched.receive(timeout=5)
    assert closed.type == WSMsgType.CLOSE and closed.data == 4401
    await staff_post(client, sherry.portal_id, "after sign-out")  # nobody left to push to
    for socket in (watched, framed):
        await socket.close()


async def test_a_frame_too_big_closes_the_socket(chat_app: Any) -> None:
    client = await chat_app()
    await taxpayer_on(client)
    socket = await socket_of(client)
    await socket.send_str("ping")  # a small frame is fine
    await socket.send_str("x" * 5000)
    closed = await socket.receive(timeout=5)
    assert closed.type == WSMsgType.CLOSE and closed.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    await socket.close()


async def test_shutdown_closes_open_sockets_as_going_away(chat_app: Any) -> None:
    client = await chat_app()
    await taxpayer_on(client)
    socket = await socket_of(client)
    closing = asyncio.create_task(client.server.close())
    closed = await socket.receive(timeout=5)
    assert closed.type == WSMsgType.CLOSE and closed.data == aiohttp.WSCloseCode.GOING_AWAY
    await socket.close()
    await asyncio.wait_for(closing, 10)  # nothing held the exit


async def test_polling_is_no_activity_the_idle_clock_keeps_running(chat_app: Any) -> None:
    client = await chat_app()
    await taxpayer_on(client)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=29)
    await WebSession.filter(kind="taxpayer").update(last_seen_at=earlier)
    passive = {"X-Taxportal-Passive": "1"}
    for _ in range(3):  # a page left open, polling
        assert (await client.get(f"{PAGE}/feed?after=0", headers=passive)).status == 200
    session = await WebSession.get(kind="taxpayer")
    assert abs(session.last_seen_at - earlier) < dt.timedelta(seconds=1)
    assert (await client.get(f"{PAGE}/feed?after=0")).status == 200  # a person's request
    session = await WebSession.get(kind="taxpayer")
    assert session.last_seen_at > earlier + dt.timedelta(minutes=28)  # counts as activity
    gone = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)
    await WebSession.filter(kind="taxpayer").update(last_seen_at=gone)  # idle past 30 min
    response = await client.get(f"{PAGE}/feed?after=0", headers=passive, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/portal/login"
    assert not await WebSession.filter(kind="taxpayer").exists()  # ended, as any idle one
