"""Two real `taxportal serve` processes on one database: a message posted through one
reaches a socket held by the other (PostgreSQL LISTEN/NOTIFY, Redis pub/sub, SQLite's
polled event log), and so do a third process' post and the read mark that turns "Sent"
into "Seen"."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from taxportal.web.keys import CORE
from taxportal_chat import conversation
from taxportal_chat.conversation import Author
from taxportal_chat.settings import ChatSettings
from tests.accounts import journey
from tests.chat.conftest import taxpayer_on
from tests.uploads.helpers import Server, process_env

PAGE = "/portal/messages"
ANA = Author("staff", 1, "Ana Ruiz")
PLUGINS = ["notify_email", "notify_sms", "storage_local", "chat"]


@pytest.mark.parametrize("backend", ["", "redis"])
async def test_a_message_posted_through_one_process_reaches_a_socket_on_the_other(
    build_app: Any, client_for: Any, database: str, tmp_path: Path, backend: str
) -> None:
    if database.startswith("sqlite"):
        if backend:
            pytest.skip("Redis is tried on PostgreSQL")
        backend = "poll"  # SQLite's processes share the event log, read every 200 ms
    enabled = [*PLUGINS, "bus_redis"] if backend == "redis" else PLUGINS
    settings = {"TAXPORTAL_PLUGINS__ENABLED": json.dumps(enabled)}
    if backend:
        settings["TAXPORTAL_BUS__BACKEND"] = backend
    client = await client_for(await build_app(**settings))  # this test posts too
    sherry = await taxpayer_on(client)
    token = client.session.cookie_jar.filter_cookies(client.make_url("/"))["tp_taxpayer"].value
    env = process_env(client.app[CORE].config, **settings)
    one, other = Server(env, tmp_path), Server(env, tmp_path)
    try:
        one.start()
        other.start()
        cookies = {"tp_taxpayer": token}
        async with (
            aiohttp.ClientSession(cookies=cookies) as here,
            aiohttp.ClientSession(cookies=cookies) as there,
            there.ws_connect(f"{other.base}{PAGE}/socket", headers={"Origin": other.base}) as ws,
        ):
            page = await (await here.get(f"{one.base}{PAGE}")).text()
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            response = await here.post(
                f"{one.base}{PAGE}",
                data={"csrf_token": csrf, "body": "Posted through the first process"},
                headers={"Accept": "application/json"},
            )
            assert response.status == 201, await response.text()
            posted = (await response.json())["message"]["id"]
            frame = await ws.receive_json(timeout=5)
            assert frame["type"] == "message" and frame["message"]["id"] == posted
            assert frame["message"]["html"] == "Posted through the first process"
            assert frame["message"]["mine"] is True
            # nothing in memory: the other process' feed has it from the database
            feed = await (await there.get(f"{other.base}{PAGE}/feed?after=0")).json()
            assert [m["id"] for m in feed["messages"]] == [posted]

            # the preparer answers from a third process (this test's), Sherry reads it on
            # the first: the second process' socket hears both
            answer = await conversation.post(
                journey.core(client), ChatSettings(), sherry.portal_id, ANA, "Got it"
            )
            frame = await ws.receive_json(timeout=2)  # the bus, not the 5 s safety read
            assert frame["message"]["id"] == answer.id and frame["message"]["mine"] is False
            response = await here.post(
                f"{one.base}{PAGE}/read", json={"up_to": answer.id}, headers={"X-CSRF-Token": csrf}
            )
            assert (await response.json()) == {"moved": True}
            frame = await ws.receive_json(timeout=5)
            assert frame == {"type": "read", "side": "taxpayer", "read_id": answer.id}
    finally:
        one.stop()
        other.stop()
