"""The OpenAPI document matches the real routes, the real input model and real responses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from taxportal.services.returns.fields import ReturnFields
from taxportal.web.api import returns as api_module
from tests.api.conftest import Api, a_return
from tests.api.schema_check import problems

SPEC: dict[str, Any] = json.loads(Path(api_module.OPENAPI).read_text())
METHODS = {"get", "post", "put", "patch", "delete"}


def schema(name: str) -> dict[str, Any]:
    return SPEC["components"]["schemas"][name]


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    documented = SPEC["paths"][path][method]["responses"]
    assert str(status) in documented, f"{method.upper()} {path} answered {status}, not documented"
    return documented[str(status)]["content"]["application/json"]["schema"]


def assert_conforms(body: Any, path: str, method: str, status: int) -> None:
    assert problems(body, response_schema(path, method, status), SPEC) == []


async def test_the_document_is_served_without_a_token(staff_client):
    response = await staff_client.get("/api/openapi.json", headers={"Authorization": ""})
    assert response.status == 200
    assert response.content_type == "application/json"
    served = await response.json()
    assert served == SPEC
    assert served["openapi"].startswith("3.1")


async def test_every_api_route_is_documented_and_every_documented_route_exists(staff_client):
    routes = set()
    for route in staff_client.app.router.routes():
        path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.resource.canonical)
        if path.startswith("/api/v1/") and route.method != "HEAD":
            routes.add((route.method, path))
    documented = {
        (method.upper(), path)
        for path, item in SPEC["paths"].items()
        for method in item
        if method in METHODS
    }
    assert routes == documented
    assert ("PUT", "/api/v1/returns/{return_id}") in routes


def test_the_request_schema_lists_exactly_the_fields_of_the_model():
    assert list(schema("ReturnInput")["properties"]) == list(ReturnFields.model_fields)
    assert schema("ReturnInput")["additionalProperties"] is False
    required = {n for n, f in ReturnFields.model_fields.items() if f.is_required()}
    assert set(schema("ReturnInput")["required"]) == required
    assert set(schema("ReturnUpsert")["required"]) == required | {"ssn"}


def test_the_response_schema_has_no_ssn_field():
    properties = schema("Return")["properties"]
    assert "ssn" not in properties and "spouse_ssn" not in properties
    assert {"ssn_last4", "spouse_ssn_last4", "portal_status", "email_sent"} <= set(properties)


async def test_real_responses_match_the_documented_shapes(api: Api):
    collection, one = "/api/v1/returns", "/api/v1/returns/{return_id}"
    status, created, _ = await api.call("POST", collection, a_return())
    assert_conforms(created, collection, "post", status)
    return_id = created["return"]["id"]
    status, same, _ = await api.call("POST", collection, a_return())
    assert_conforms(same, collection, "post", status)
    status, body, _ = await api.call("GET", f"/api/v1/returns/{return_id}")
    assert_conforms(body, one, "get", status)
    status, body, _ = await api.call("PUT", f"/api/v1/returns/{return_id}", a_return(city="X"))
    assert_conforms(body, one, "put", status)
    status, body, _ = await api.call("GET", collection + "?q=evans&per_page=10")
    assert_conforms(body, collection, "get", status)
    assert body["items"]

    # Refusals are documented too, with the Error shape.
    for method, path, template, request_body, headers in (
        ("POST", collection, collection, a_return(ssn="1"), {}),
        ("POST", collection, collection, None, {"Content-Type": "text/plain"}),
        ("GET", collection + "?per_page=500", collection, None, {}),
        ("GET", "/api/v1/returns/9999", one, None, {}),
        ("PUT", "/api/v1/returns/9999", one, a_return(), {}),
        ("GET", collection, collection, None, {"Authorization": "Bearer nope"}),
    ):
        status, body, _ = await api.call(method, path, request_body, headers=headers)
        assert status >= 400
        assert_conforms(body, template, method.lower(), status)


def test_the_checker_catches_a_wrong_shape():
    bad = {"id": "7", "ssn": "x"}
    found = problems(bad, {"$ref": "#/components/schemas/Return"}, SPEC)
    assert "$.id: expected integer, got str" in found
    assert "$: undocumented property ssn" in found
    assert any(p.startswith("$: missing last_name") for p in found)
