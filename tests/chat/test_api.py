"""The REST API of the chat plugin: a tax program lists a client's messages (paged by id)
and answers as the firm; every bad input is a clear 4xx in the API's error shape."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from taxportal.api import MessagePosted
from taxportal.models import ActivityEntry, StaffUser, TaxReturn
from taxportal.services.accounts import staff as staff_service
from taxportal.web.keys import API_DOCUMENT
from taxportal_chat import conversation
from taxportal_chat.conversation import Author
from taxportal_chat.settings import ChatSettings
from tests.accounts import journey
from tests.api.schema_check import problems
from tests.chat.conftest import PLUGINS, taxpayer_on
from tests.chat.test_conversation import Heard

METHODS = {"get", "post", "put", "patch", "delete"}


class Api:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.token = client, token

    async def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        response = await self.client.request(method, path, json=body, headers=headers, **kwargs)
        text = await response.text()
        return response.status, (await response.json() if text else None)


async def api_for(client: TestClient) -> Api:
    core = journey.core(client)
    await staff_service.add_staff(
        core, "ana@example.com", "Correct-Horse-9", "preparer", "Ana Ruiz"
    )
    user = await StaffUser.get(email="ana@example.com")
    return Api(client, await staff_service.issue_api_token(user, "tax program"))


async def return_of(portal_id: int) -> int:
    return (await TaxReturn.get(portal__id=portal_id)).id


def conforms(client: TestClient, body: Any, method: str, status: int) -> list[str]:
    spec = client.app[API_DOCUMENT]
    operation = spec["paths"]["/api/v1/returns/{return_id}/messages"][method]
    assert str(status) in operation["responses"], f"{method} answered {status}, undocumented"
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    return problems(body, schema, spec)


async def test_list_post_and_page_by_id(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    api = await api_for(client)
    path = f"/api/v1/returns/{await return_of(sherry.portal_id)}/messages"
    status, body = await api.call("GET", path)
    assert (status, body["items"]) == (200, [])

    core = journey.core(client)
    me = Author("taxpayer", sherry.account_id, "Sherry Nunez")
    for n in range(5):
        await conversation.post(core, ChatSettings(), sherry.portal_id, me, f"question {n}")
    status, posted = await api.call("POST", path, {"text": "Answer from the tax program"})
    assert status == 201, posted
    assert conforms(client, posted, "post", 201) == []
    message = posted["message"]
    assert message["author"] == "staff" and message["author_name"] == "Ana Ruiz"

    status, body = await api.call("GET", path + "?limit=3")
    assert conforms(client, body, "get", 200) == []
    texts = [m["text"] for m in body["items"]]
    assert texts == ["question 3", "question 4", "Answer from the tax program"]
    assert body["staff_read_id"] == message["id"]  # one's own message is read
    oldest_shown = body["items"][0]["id"]
    status, earlier = await api.call("GET", f"{path}?before={oldest_shown}&limit=2")
    assert [m["text"] for m in earlier["items"]] == ["question 1", "question 2"]
    status, later = await api.call("GET", f"{path}?after={earlier['items'][0]['id']}&limit=2")
    assert [m["text"] for m in later["items"]] == ["question 2", "question 3"]
    first, fourth = earlier["items"][0]["id"] - 1, later["items"][1]["id"] + 1
    status, window = await api.call("GET", f"{path}?after={first}&before={fourth}&limit=9")
    assert [m["text"] for m in window["items"]] == ["question 1", "question 2", "question 3"]

    # the taxpayer sees the answer on their page; the event and the log name no text
    page = await (await client.get("/portal/messages")).text()
    assert "Answer from the tax program" in page and "Ana Ruiz" in page
    logged = await ActivityEntry.filter(action="chat_message_posted").values("actor", "detail")
    assert {
        "actor": f"api:{(await StaffUser.get(email='ana@example.com')).id}",
        "detail": {"message_id": message["id"]},
    } in logged
    everything = str(await ActivityEntry.all().values("detail"))
    assert "Answer from the tax program" not in everything


async def test_a_multi_line_answer_and_its_event(build_app: Any, client_for: Any) -> None:
    heard = Heard()
    client = await client_for(await build_app(heard, TAXPORTAL_PLUGINS__ENABLED=PLUGINS))
    sherry = await taxpayer_on(client)
    api = await api_for(client)
    path = f"/api/v1/returns/{await return_of(sherry.portal_id)}/messages"
    status, posted = await api.call("POST", path, {"text": "Line one\r\nLine two\tend"})
    assert status == 201, posted
    assert posted["message"]["text"] == "Line one\nLine two\tend"
    assert heard.events == [MessagePosted(sherry.portal_id, posted["message"]["id"], "staff")]
    status, refused = await api.call("POST", path, {"text": "bell \x07"})
    assert status == 422 and refused["fields"] == {
        "text": "must not contain control characters (such as NUL, tabs or line breaks)"
    }


async def test_refusals_are_clear_4xx_in_the_error_shape(chat_app: Any) -> None:
    client = await chat_app()
    sherry = await taxpayer_on(client)
    api = await api_for(client)
    return_id = await return_of(sherry.portal_id)
    path = f"/api/v1/returns/{return_id}/messages"
    deep = "[" * 5000 + "]" * 5000
    cases: list[tuple[str, str, Any, dict[str, str], int]] = [
        ("GET", "/api/v1/returns/999999/messages", None, {}, 404),
        ("POST", "/api/v1/returns/999999/messages", {"text": "hi"}, {}, 404),
        ("GET", "/api/v1/returns/99999999999999999999999/messages", None, {}, 404),
        ("GET", path + "?after=abc", None, {}, 400),
        ("GET", path + "?before=0", None, {}, 400),
        ("GET", path + "?limit=201", None, {}, 400),
        ("GET", path + "?after=" + "9" * 400, None, {}, 400),
        ("POST", path, {"text": "nul \x00 here"}, {}, 422),
        ("POST", path, {"text": "x" * 5001}, {}, 422),
        ("POST", path, {"text": "   "}, {}, 422),
        ("POST", path, {"text": 12}, {}, 422),
        ("POST", path, {}, {}, 422),
        ("POST", path, {"text": "hi", "author": "taxpayer"}, {}, 422),
        ("POST", path, ["hi"], {}, 400),
        ("POST", path, None, {"Content-Type": "text/plain"}, 415),
        ("GET", path, None, {"Authorization": ""}, 401),
        ("POST", path, {"text": "hi"}, {"Authorization": "Bearer tp_wrong"}, 401),
    ]
    for method, url, body, headers, expected in cases:
        status, answer = await api.call(method, url, body, headers=headers)
        assert status == expected, (method, url, status, answer)
        assert isinstance(answer["error"], str) and answer["error"]
        if not url.startswith("/api/v1/returns/9"):
            assert conforms(client, answer, method.lower(), status) == []
    for raw, expected in (
        (deep.encode(), 400),
        (b'{"text": "' + b"a" * (1024 * 1024) + b'"}', 413),
    ):
        response = await client.post(
            path,
            data=raw,
            headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
        )
        assert response.status == expected
        assert "error" in await response.json()
    assert await conversation.latest(sherry.portal_id, 50) == []  # nothing was posted


async def test_a_return_without_a_portal(chat_app: Any) -> None:
    client = await chat_app()
    api = await api_for(client)
    status, created = await api.call(
        "POST",
        "/api/v1/returns",
        {"tax_year": journey.LAST_YEAR, "last_name": "Evans", "ssn": "400-12-3456"},
    )
    assert status == 201
    path = f"/api/v1/returns/{created['return']['id']}/messages"
    assert await api.call("GET", path) == (
        200,
        {"items": [], "taxpayer_read_id": 0, "staff_read_id": 0},
    )
    status, answer = await api.call("POST", path, {"text": "Hello"})
    assert status == 409 and "no portal" in answer["error"]


async def test_the_served_document_describes_every_route_with_chat_on(chat_app: Any) -> None:
    client = await chat_app()
    served = await (await client.get("/api/openapi.json")).json()
    assert served == client.app[API_DOCUMENT]
    routes = set()
    for route in client.app.router.routes():
        path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.resource.canonical)
        if path.startswith("/api/v1/") and route.method != "HEAD":
            routes.add((route.method, path))
    documented = {
        (method.upper(), path)
        for path, item in served["paths"].items()
        for method in item
        if method in METHODS
    }
    assert routes == documented
    assert ("POST", "/api/v1/returns/{return_id}/messages") in routes
    assert {"Message", "MessageList", "Error"} <= set(served["components"]["schemas"])
