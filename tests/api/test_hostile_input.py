"""What an attacker sends the API: deep or huge JSON, control characters, SSN-shaped keys,
paths and methods that do not exist. Every answer is JSON in the Error shape, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from taxportal.models import TaxReturn
from taxportal.web.api import body as api_body
from tests.api.conftest import Api, a_return

ERROR_KEYS = {"error", "fields"}
DEEP = "[" * 50_000  # RecursionError in json.loads before the depth limit


async def raw(api: Api, method: str, path: str, data: bytes | str, **headers: str) -> Any:
    """(status, content type, JSON body) of a request whose body is sent byte for byte."""
    all_headers = {**api.headers, "Content-Type": "application/json", **headers}
    response = await api.client.request(method, path, data=data, headers=all_headers)
    return response.status, response.content_type, await response.json()


def assert_error_shape(body: Any) -> None:
    assert isinstance(body, dict) and isinstance(body["error"], str)
    assert set(body) <= ERROR_KEYS


@pytest.fixture
async def return_id(api: Api) -> int:
    _, created, _ = await api.call("POST", "/api/v1/returns", a_return())
    return int(created["return"]["id"])


def json_routes(return_id: int) -> list[tuple[str, str]]:
    return [
        ("POST", "/api/v1/returns"),
        ("PUT", f"/api/v1/returns/{return_id}"),
        ("POST", f"/api/v1/returns/{return_id}/documents/send"),
    ]


async def test_deeply_nested_json_is_refused_before_it_is_parsed(api: Api, return_id: int):
    for method, path in json_routes(return_id):
        for body in (DEEP, '{"a":' * 50_000, '{"tax_year": ' + DEEP):
            status, content_type, answer = await raw(api, method, path, body)
            assert (status, content_type) == (400, "application/json"), (method, path)
            assert answer == {"error": "the body is not valid JSON or nests deeper than 16 levels"}


def test_the_depth_scan_ignores_brackets_inside_strings_and_is_exact():
    too_deep = api_body.nests_too_deep
    assert not too_deep(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[["}')
    assert not too_deep(b'{"a": "\\"[[[[", "b": [[1]]}', limit=3)
    assert too_deep(b'{"a": "\\"[[[[", "b": [[1]]}', limit=2)
    assert not too_deep(b"[" * 16 + b"]" * 16) and too_deep(b"[" * 17 + b"]" * 17)
    assert too_deep(b"{[" * 9 + b"]}" * 9)  # 18 levels, alternating
    assert too_deep(b"[" * 17 + b"1]") and too_deep(b"[[1]", limit=1)  # never closed
    assert not too_deep(b"[1]]]]]]]]]]]]]]]]]]]]")  # one level: the parser stops at the 2nd ]
    assert not too_deep(b"[[1], [2], {}]" * 1000, limit=2)
    # The deepest body the API takes is well inside the limit.
    send = {"documents": [{"id": 1, "signers": ["taxpayer"]}]}
    assert not too_deep(json.dumps(send).encode(), limit=4)
    assert too_deep(json.dumps(send).encode(), limit=3)


async def test_a_body_just_inside_the_depth_limit_is_parsed_and_judged(api: Api, return_id: int):
    body = {"tax_year": 2024, "last_name": "Evans", "ssn": "400-12-3456", "city": [[[[[[1]]]]]]}
    status, _, answer = await raw(api, "POST", "/api/v1/returns", json.dumps(body))
    assert status == 422 and "city" in answer["fields"]


async def test_over_one_megabyte_is_413_in_json_on_every_json_route(api: Api, return_id: int):
    big = json.dumps(a_return(address="x" * (1024 * 1024)))
    for method, path in json_routes(return_id):
        status, content_type, answer = await raw(api, method, path, big)
        assert (status, content_type) == (413, "application/json"), (method, path)
        assert answer == {"error": "the request body is too large (1 MB at most)"}


async def test_a_number_too_long_to_convert_is_invalid_json_not_a_500(api: Api, return_id: int):
    body = '{"tax_year": ' + "9" * 5000 + ', "last_name": "Evans", "ssn": "400-12-3456"}'
    status, _, answer = await raw(api, "POST", "/api/v1/returns", body)
    assert status == 400 and answer == {"error": "the body is not valid JSON"}


@pytest.mark.parametrize("character", ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085", "\n"])
async def test_control_characters_in_any_string_are_refused_by_field(
    api: Api, return_id: int, character: str
):
    for method, path in json_routes(return_id)[:2]:
        body = a_return(city=f"Ev{character}ans", ssn=f"400-12-3456{character}")
        status, answer, _ = await api.call(method, path, body)
        assert status == 422, (method, path)
        assert answer["error"] == "a field contains control characters"
        assert set(answer["fields"]) == {"city", "ssn"}
        assert "Ev" not in json.dumps(answer) and "3456" not in json.dumps(answer)
    send = {"documents": [{"id": 1, "signers": [f"taxpayer{character}"]}]}
    status, answer, _ = await api.call("POST", f"/api/v1/returns/{return_id}/documents/send", send)
    assert status == 422 and set(answer["fields"]) == {"documents.0.signers.0"}
    stored = await TaxReturn.get(id=return_id)
    assert stored.city == "Evans"


async def test_a_control_character_in_a_key_is_named_by_its_position(api: Api):
    body = {**a_return(), "nick\u0000name": "x"}
    status, answer, _ = await api.call("POST", "/api/v1/returns", body)
    assert status == 422  # a_return() has 16 keys: this one is the 17th
    assert answer["fields"] == {"#17": api_body.CONTROL_REASON}


async def test_an_unknown_key_that_is_an_ssn_is_masked_in_the_error(api: Api):
    for key in ("987-65-4329", "987654329", "SSN 987 65 4329 here"):
        status, answer, text = await api.call("POST", "/api/v1/returns", {**a_return(), key: "x"})
        assert status == 422
        assert "4329" not in text and "987" not in text
        masked = [name for name in answer["fields"] if "***-**-****" in name]
        assert len(masked) == 1 and answer["fields"][masked[0]] == "unknown field"
    long_key = "k" * 500
    status, answer, text = await api.call("POST", "/api/v1/returns", {**a_return(), long_key: 1})
    assert status == 422 and "k" * 41 not in text
    assert answer["fields"] == {"k" * 40: "unknown field"}


async def test_query_text_that_is_too_long_or_has_control_characters_is_400(api: Api):
    for query, reason in (
        ("q=" + "a" * 101, "must be 100 characters at most"),
        ("q=a%00b", "must not contain control characters"),
        ("q=a%0Ab", "must not contain control characters"),
        ("tax_year=%D9%A2%D9%A0%D9%A2%D9%A4", "must be a whole number"),  # Arabic-Indic 2024
    ):
        status, answer, _ = await api.call("GET", f"/api/v1/returns?{query}")
        assert status == 400, query
        name = query.split("=")[0]
        assert reason in answer["fields"][name]
    status, _, _ = await api.call("GET", "/api/v1/returns?q=" + "a" * 100)
    assert status == 200


async def test_an_empty_zip_code_is_accepted_and_other_digits_are_not(api: Api):
    status, created, _ = await api.call("POST", "/api/v1/returns", a_return(zip_code=""))
    assert status == 201 and created["return"]["zip_code"] == ""
    for zip_code in ("٣٠٨٠٩", "3080９"):  # Arabic-Indic and full-width digits
        status, answer, _ = await api.call("POST", "/api/v1/returns", a_return(zip_code=zip_code))
        assert status == 422 and "zip_code" in answer["fields"]
    status, answer, _ = await api.call("POST", "/api/v1/returns", a_return(ssn="٤٠٠١٢٣٤٥٦"))
    assert status == 422 and "ssn" in answer["fields"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/nothing-here", 404),
        ("GET", "/api/v1/returns/null,null", 404),
        ("GET", "/api/v1/returns/987-65-4329", 404),
        ("PUT", "/api/v1/returns/abc", 404),
        ("GET", "/api/v1/returns/1/uploads/x/content", 404),
        ("POST", "/api/v1/returns/abc/documents/send", 404),
        ("DELETE", "/api/v1/returns/1", 405),
        ("PATCH", "/api/v1/returns", 405),
    ],
)
async def test_router_refusals_under_api_are_json(api: Api, method: str, path: str, status: int):
    response = await api.client.request(method, path, headers=api.headers)
    assert response.status == status
    assert response.content_type == "application/json"
    body = await response.json()
    assert_error_shape(body)
    assert "4329" not in json.dumps(body)  # the path is never repeated
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if status == 405:
        assert "GET" in response.headers["Allow"]


async def test_ids_beyond_the_database_are_404_on_every_id_route(api: Api):
    too_big = 2**31
    for method, path, body in (
        ("GET", f"/api/v1/returns/{too_big}", None),
        ("PUT", f"/api/v1/returns/{too_big}", a_return()),
        ("GET", f"/api/v1/returns/{too_big}/uploads", None),
        ("GET", f"/api/v1/returns/1/uploads/{too_big}/content", None),
        ("GET", f"/api/v1/returns/{too_big}/documents", None),
        ("POST", f"/api/v1/returns/{too_big}/documents/send", {"documents": [{"id": 1}]}),
    ):
        status, answer, _ = await api.call(method, path, body)
        assert status == 404, (method, path)
        assert_error_shape(answer)
    # An id in the body beyond the database is a field error, as the schema says (maximum).
    status, answer, _ = await api.call(
        "POST", "/api/v1/returns/1/documents/send", {"documents": [{"id": too_big}]}
    )
    assert status == 422 and "documents.0.id" in answer["fields"]


async def test_a_bug_under_api_is_a_json_500_with_a_reference(api: Api, monkeypatch):
    from taxportal.services.returns import client_list

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(client_list, "page", broken)
    status, answer, _ = await api.call("GET", "/api/v1/returns")
    assert status == 500 and answer["error"] == "internal error"
    assert set(answer) == {"error", "reference"}
