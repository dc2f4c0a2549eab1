"""The identity pages over HTTP: start, answer, next, tries left, paper, and refusals."""

from __future__ import annotations

import re

import pytest

from tests.accounts import journey
from tests.signing_identity.conftest import Signers, signers_on
from tests.signing_identity.fake_kba import FakeKbaPlugin

PAGE = "/portal/signing/identity?role=taxpayer&next=/portal/files"
RIGHT = {"c0_birth_date": "03/14/1975", "c0_prior_year_agi": "$52,340"}


async def post(s: Signers, data: dict[str, str], path: str = PAGE):  # type: ignore[no-untyped-def]
    token = await journey.form_token(s.client, path)
    return await s.client.post(path, data={"csrf_token": token, **data}, allow_redirects=False)


async def send(s: Signers, path: str = PAGE) -> str:
    response = await post(s, {"action": "start"}, path)
    assert response.status == 303, await response.text()
    message = journey.newest_email(s.client)
    return journey.code_in(message.get_body(("plain",)).get_content())


async def test_start_answer_and_go_on_to_next(database, app_client):
    s = await signers_on(await app_client())
    page = await (await s.client.get(PAGE)).text()
    assert "Send my security code" in page and "c0_code" not in page
    code = await send(s)
    page = await (await s.client.get(PAGE)).text()
    assert 'name="c0_code"' in page and 'placeholder="MM/DD/YYYY"' in page
    assert "she****@com" in page  # where the code went, masked
    response = await post(s, {"action": "answer", "c0_code": code, **RIGHT})
    assert response.status == 303 and response.headers["Location"] == "/portal/files"


async def test_wrong_answer_says_tries_left_then_paper_in_spanish(database, app_client):
    s = await signers_on(await app_client(), language="es")
    await send(s)
    page = await (await s.client.get(PAGE)).text()
    assert "Su fecha de nacimiento (MM/DD/AAAA)" in page and "Confirme que es usted" in page
    for left in (2, 1):
        await send(s)
        response = await post(s, {"action": "answer", "c0_code": "000000", **RIGHT})
        assert response.status == 400
        assert f"Intentos restantes: {left}" in await response.text()
    await send(s)
    response = await post(s, {"action": "answer", "c0_code": "000000", **RIGHT})
    assert response.status == 423
    assert "Por favor, firme en papel" in await response.text()
    page = await (await s.client.get(PAGE)).text()
    assert "firme en papel" in page and "c0_code" not in page


async def test_the_state_is_in_no_cookie_and_no_form_field(database, app_client):
    s = await signers_on(await app_client(FakeKbaPlugin()))
    await send(s)
    page = await (await s.client.get(PAGE)).text()
    hidden = re.findall(r'<input type="hidden" name="([^"]+)"', page)
    assert set(hidden) == {"csrf_token", "action", "next"}  # next: the language switch's page
    assert "s-1" not in page
    assert all("s-1" not in c.value for c in s.client.session.cookie_jar)


@pytest.mark.parametrize(
    "query",
    [
        "role=taxpayer&next=//evil.example.com/",
        "role=taxpayer&next=https://evil.example.com/",
        "role=taxpayer&next=/%5Cevil.example.com",
        "role=taxpayer&next=portal",
    ],
)
async def test_a_forged_next_is_replaced_by_the_portal_s_own_page(database, app_client, query):
    s = await signers_on(await app_client())
    response = await s.client.get(f"/portal/signing/identity?{query}", allow_redirects=False)
    page = await response.text()
    assert response.status == 200
    assert "evil.example.com" not in page and "next=portal" not in page
    assert "next=/portal/preparer-files" in page.replace("%2F", "/")


@pytest.mark.parametrize("query", ["role=preparer&next=/portal/", "role=&next=/portal/"])
async def test_a_bad_role_is_refused(database, app_client, query):
    s = await signers_on(await app_client())
    response = await s.client.get(f"/portal/signing/identity?{query}", allow_redirects=False)
    assert response.status == 400
    before = len(list(journey.outbox(s.client, "email").glob("*.eml")))
    token = await journey.form_token(s.client, PAGE)
    response = await s.client.post(
        f"/portal/signing/identity?{query}",
        data={"csrf_token": token, "action": "start"},
        allow_redirects=False,
    )
    assert response.status == 400
    assert len(list(journey.outbox(s.client, "email").glob("*.eml"))) == before  # no code


async def test_no_spouse_no_spouse_page(database, app_client):
    no_spouse = dict.fromkeys(
        ["spouse_email", "spouse_mobile_phone", "spouse_birth_date", "spouse_prior_year_agi"], ""
    )
    s = await signers_on(await app_client(), spouse_first_name="", spouse_last_name="", **no_spouse)
    response = await s.client.get("/portal/signing/identity?role=spouse&next=/portal/")
    assert response.status == 404


async def test_without_csrf_nothing_is_sent(database, app_client):
    s = await signers_on(await app_client())
    before = len(list(journey.outbox(s.client, "email").glob("*.eml")))
    response = await s.client.post(PAGE, data={"action": "start"}, allow_redirects=False)
    assert response.status == 403
    assert len(list(journey.outbox(s.client, "email").glob("*.eml"))) == before


@pytest.mark.parametrize("value", ["12\x003456", "9" * 10_000])
async def test_nul_bytes_and_huge_answers_are_refused(database, app_client, value):
    s = await signers_on(await app_client())
    await send(s)
    response = await post(s, {"action": "answer", "c0_code": value, **RIGHT})
    assert 400 <= response.status < 500


async def test_signed_out_is_sent_to_sign_in(database, app_client):
    s = await signers_on(await app_client())
    await journey.sign_out(s.client)
    response = await s.client.get(PAGE, allow_redirects=False)
    assert response.status in (302, 303) and "/portal/login" in response.headers["Location"]


async def test_sending_codes_is_throttled_per_address(database, app_client):
    s = await signers_on(await app_client(TAXPORTAL_THROTTLE__PER_ADDRESS="2"))
    await send(s)
    await send(s)
    response = await post(s, {"action": "start"})
    assert response.status == 429 and "Too many attempts" in await response.text()
