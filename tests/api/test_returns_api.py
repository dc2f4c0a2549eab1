"""The REST API as a tax program uses it: upsert, read, list, replace, and every refusal."""

from __future__ import annotations

import json

import pytest

from taxportal.models import ActivityEntry, TaxReturn
from tests.api.conftest import LAST_YEAR, Api, a_return
from tests.support import csrf_from

SSN_FORMS = ("400-12-3456", "400123456", "400-65-4321", "400654321")


def assert_no_ssn(*texts: str) -> None:
    for text in texts:
        for form in SSN_FORMS:
            assert form not in text


async def test_requests_without_a_valid_token_are_refused(api: Api):
    client = api.client  # it also carries a console session cookie: not enough for the API
    for headers in (
        {},
        {"Authorization": "Bearer tp_not-a-real-token"},
        {"Authorization": f"Basic {api.token}"},
        {"Authorization": "Bearer "},
    ):
        response = await client.get("/api/v1/returns", headers=headers)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "API token is required" in (await response.json())["error"]
    post = await client.post("/api/v1/returns", json=a_return())
    assert post.status == 401
    assert await TaxReturn.all().count() == 0


async def test_upsert_creates_then_reports_unchanged_then_updates(api: Api):
    status, body, _ = await api.call("POST", "/api/v1/returns", a_return())
    assert status == 201
    assert body["outcome"] == "created"
    created = body["return"]
    assert created["last_name"] == "Evans" and created["mobile_phone"] == "+17065550101"
    assert created["ssn_last4"] == "3456" and created["spouse_ssn_last4"] == "4321"
    assert created["portal_status"] == "not_created" and created["email_sent"] == "not_sent"

    again_status, again, _ = await api.call("POST", "/api/v1/returns", a_return())
    assert again_status == 200 and again["outcome"] == "unchanged"
    assert again["return"]["id"] == created["id"]

    changed = a_return(primary_email="NEW@Example.com", ssn="400 12 3456")
    status, updated, _ = await api.call("POST", "/api/v1/returns", changed)
    assert status == 200 and updated["outcome"] == "updated"
    assert updated["return"]["id"] == created["id"]
    assert updated["return"]["primary_email"] == "new@example.com"

    # Another tax year with the same SSN is another return.
    other_year = a_return(tax_year=LAST_YEAR - 1)
    status, other, _ = await api.call("POST", "/api/v1/returns", other_year)
    assert status == 201 and other["return"]["id"] != created["id"]

    actors = await ActivityEntry.filter(action__startswith="return_").values_list(
        "actor", flat=True
    )
    assert set(actors) == {f"api:{api.user.id}"} and len(actors) == 3


async def test_created_return_is_at_its_location_and_in_the_list(api: Api):
    client = api.client
    response = await client.post("/api/v1/returns", json=a_return(), headers=api.headers)
    assert response.status == 201
    location = response.headers["Location"]
    status, one, _ = await api.call("GET", location)
    assert status == 200 and one["first_name"] == "Angela"
    status, listing, _ = await api.call("GET", "/api/v1/returns")
    assert status == 200
    assert listing["total"] == 1 and listing["items"] == [one]


async def test_no_response_ever_contains_an_ssn(api: Api):
    texts = []
    _, created, text = await api.call("POST", "/api/v1/returns", a_return())
    texts.append(text)
    return_id = created["return"]["id"]
    for method, path, body in (
        ("POST", "/api/v1/returns", a_return()),
        ("GET", f"/api/v1/returns/{return_id}", None),
        ("GET", "/api/v1/returns?q=evans", None),
        ("PUT", f"/api/v1/returns/{return_id}", a_return(city="Augusta")),
        # Refusals: a bad SSN, and an SSN typed into the wrong fields.
        ("POST", "/api/v1/returns", a_return(ssn="400-12-345")),
        (
            "POST",
            "/api/v1/returns",
            a_return(primary_email="400-12-3456", mobile_phone="400123456"),
        ),
        ("PUT", f"/api/v1/returns/{return_id}", a_return(state="400-65-4321")),
    ):
        _, _, text = await api.call(method, path, body)
        texts.append(text)
    assert_no_ssn(*texts)
    for text in texts:
        assert '"ssn"' not in text or '"fields"' in text  # only error reasons may name the field


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"ssn": "12-345"}, "ssn", "SSN must be 9 digits"),
        ({"ssn": "000-12-3456"}, "ssn", "is not a valid SSN"),
        ({"mobile_phone": "555-01"}, "mobile_phone", "is not a"),
        ({"primary_email": "angela at example"}, "primary_email", "is not a valid email address"),
        ({"state": "ZZ"}, "state", "'ZZ' is not a US state or territory code"),
        ({"last_name": ""}, "last_name", "at least 1 character"),
        ({"zip_code": "3080"}, "zip_code", "zip code must be 12345 or 12345-6789"),
        ({"tax_year": "last year"}, "tax_year", "valid integer"),
        ({"nickname": "Angie"}, "nickname", "unknown field"),
    ],
)
async def test_invalid_fields_are_named_with_a_reason(api: Api, change, field, reason):
    status, body, text = await api.call("POST", "/api/v1/returns", a_return(**change))
    assert status == 422
    assert body["error"] == "the return is not valid"
    assert reason in body["fields"][field]
    assert_no_ssn(text)
    assert await TaxReturn.all().count() == 0


async def test_missing_fields_and_missing_ssn_are_reported(api: Api):
    body = a_return()
    del body["last_name"]
    status, answer, _ = await api.call("POST", "/api/v1/returns", body)
    assert status == 422 and answer["fields"] == {"last_name": "required"}

    status, answer, _ = await api.call("POST", "/api/v1/returns", a_return(ssn=""))
    assert status == 422
    assert answer["fields"]["ssn"].startswith("required")


async def test_bodies_that_are_not_a_json_object_are_refused(api: Api):
    client, headers = api.client, api.headers
    cases = [
        (
            {"data": "{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "not valid JSON",
        ),
        (
            {"data": b"\xff\xfe", "headers": {"Content-Type": "application/json"}},
            400,
            "not valid JSON",
        ),
        ({"json": [a_return()]}, 400, "must be a JSON object"),
        ({"json": "Evans"}, 400, "must be a JSON object"),
        ({"data": json.dumps(a_return()), "headers": {"Content-Type": "text/plain"}}, 415, "JSON"),
        ({"data": {"tax_year": "2024", "last_name": "Evans"}}, 415, "application/json"),
    ]
    for kwargs, status, error in cases:
        extra = kwargs.pop("headers", {})
        response = await client.post("/api/v1/returns", headers={**headers, **extra}, **kwargs)
        assert response.status == status, kwargs
        assert error in (await response.json())["error"]
    assert await TaxReturn.all().count() == 0


async def test_a_body_over_one_megabyte_is_refused_in_json(api: Api):
    big = a_return(address="x" * (1024 * 1024))
    status, body, _ = await api.call("POST", "/api/v1/returns", big)
    assert status == 413 and "too large" in body["error"]


async def test_unknown_ids_are_404(api: Api):
    for method, body in (("GET", None), ("PUT", a_return())):
        for return_id in (999, 99999999999999):
            status, answer, _ = await api.call(method, f"/api/v1/returns/{return_id}", body)
            assert status == 404
            assert answer == {"error": f"no return with id {return_id}"}


async def test_put_replaces_the_fields_and_keeps_the_ssn_when_none_is_sent(api: Api):
    _, created, _ = await api.call("POST", "/api/v1/returns", a_return())
    return_id = created["return"]["id"]
    replacement = {"tax_year": LAST_YEAR, "last_name": "Evans-Smith", "language": "Spanish"}
    status, body, _ = await api.call("PUT", f"/api/v1/returns/{return_id}", replacement)
    assert status == 200
    assert body["last_name"] == "Evans-Smith" and body["language"] == "es"
    assert body["primary_email"] == "" and body["city"] == ""  # a full replacement
    assert body["ssn_last4"] == "3456"
    status, again, _ = await api.call("GET", f"/api/v1/returns/{return_id}")
    assert again == body
    # The upsert still finds it by the SSN kept on file.
    status, upsert, _ = await api.call("POST", "/api/v1/returns", a_return())
    assert upsert["outcome"] == "updated" and upsert["return"]["id"] == return_id


async def test_put_refuses_an_ssn_that_belongs_to_another_return(api: Api):
    _, first, _ = await api.call("POST", "/api/v1/returns", a_return())
    _, second, _ = await api.call("POST", "/api/v1/returns", a_return(ssn="400-12-9999"))
    status, body, text = await api.call(
        "PUT", f"/api/v1/returns/{second['return']['id']}", a_return()
    )
    assert status == 409
    assert body["fields"]["ssn"] == f"another {LAST_YEAR} return has this SSN"
    assert_no_ssn(text)
    _, unchanged, _ = await api.call("GET", f"/api/v1/returns/{second['return']['id']}")
    assert unchanged["ssn_last4"] == "9999"
    assert first["return"]["id"] != second["return"]["id"]


async def test_list_searches_filters_by_year_and_pages(api: Api):
    people = [("Angela", "Evans"), ("Bob", "Brown"), ("Carla", "Evans"), ("Dan", "Diaz")]
    for n, (first, last) in enumerate(people):
        await api.call(
            "POST",
            "/api/v1/returns",
            a_return(
                first_name=first, last_name=last, ssn=f"400-12-{1000 + n}", spouse_last_name=""
            ),
        )
    old = a_return(tax_year=LAST_YEAR - 1, last_name="Old", spouse_last_name="")
    await api.call("POST", "/api/v1/returns", old)

    _, everything, _ = await api.call("GET", "/api/v1/returns")
    assert everything["total"] == 5 and everything["per_page"] == 50
    _, evans, _ = await api.call("GET", "/api/v1/returns?q=evans")
    assert [r["first_name"] for r in evans["items"]] == ["Angela", "Carla"]
    _, year, _ = await api.call("GET", f"/api/v1/returns?tax_year={LAST_YEAR - 1}")
    assert [r["last_name"] for r in year["items"]] == ["Old"]
    _, page2, _ = await api.call("GET", f"/api/v1/returns?tax_year={LAST_YEAR}&per_page=3&page=2")
    assert page2["total"] == 4 and page2["page"] == 2
    assert [r["last_name"] for r in page2["items"]] == ["Evans"]  # Brown, Diaz, Evans | Evans

    for query, name in (
        ("per_page=201", "per_page"),
        ("per_page=0", "per_page"),
        ("page=-1", "page"),
        ("tax_year=twenty", "tax_year"),
        ("tax_year=99999999999", "tax_year"),
    ):
        status, body, _ = await api.call("GET", f"/api/v1/returns?{query}")
        assert status == 400, query
        assert name in body["fields"]
    status, most, _ = await api.call("GET", "/api/v1/returns?per_page=200")
    assert status == 200 and most["per_page"] == 200


async def test_portal_status_and_email_sent_follow_the_console(api: Api):
    _, created, _ = await api.call("POST", "/api/v1/returns", a_return())
    return_id = created["return"]["id"]
    token = await csrf_from(api.client, f"/staff/portals/{return_id}/send")
    sent = await api.client.post(
        f"/staff/portals/{return_id}/send",
        data={"csrf_token": token, "channel": "sms"},
        allow_redirects=False,
    )
    assert sent.status == 303
    _, body, _ = await api.call("GET", f"/api/v1/returns/{return_id}")
    assert body["portal_status"] == "invited" and body["email_sent"] == "sent_text"
    # the list (services.client_list, SQL) says what the return's own page (models) says
    _, listing, _ = await api.call("GET", "/api/v1/returns")
    assert listing["items"] == [body]
