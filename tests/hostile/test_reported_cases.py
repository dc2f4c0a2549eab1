"""The requests issue 9 saw answered with a 500 (and the answers missing security headers),
each as a readable test; the generated test_every_route.py covers every route."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient

from taxportal.models import TaxReturn
from tests.accounts.journey import registered_and_verified
from tests.support import csrf_from

OUT_OF_RANGE = ("2147483648", "9223372036854775808", "99999999999999999999999")
REFUSED = "characters that cannot be used"
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")


@pytest.fixture
async def taxpayer(staff_client: TestClient, aiohttp_client: Any) -> TestClient:
    """A signed-in taxpayer on the staff client's server (its own cookies)."""
    client = await aiohttp_client(staff_client.server, cookie_jar=CookieJar(unsafe=True))
    await registered_and_verified(client)
    return client


async def test_ids_no_row_can_have_are_404_on_the_taxpayers_pages(taxpayer: TestClient):
    for file_id in OUT_OF_RANGE:
        token = await csrf_from(taxpayer, "/portal/files")
        for method, path in (
            ("GET", f"/portal/files/{file_id}"),
            ("GET", f"/portal/files/{file_id}/remove"),
            ("POST", f"/portal/files/{file_id}/remove"),
            ("GET", f"/portal/preparer-files/{file_id}"),
        ):
            response = await taxpayer.request(
                method, path, data={"csrf_token": token}, allow_redirects=False
            )
            assert response.status == 404, (method, path, await response.text())


async def test_ids_no_row_can_have_are_404_in_the_console(staff_client: TestClient):
    for return_id in OUT_OF_RANGE:
        token = await csrf_from(staff_client, "/staff/")
        for method, path in (
            ("GET", f"/staff/returns/{return_id}/edit"),
            ("POST", f"/staff/returns/{return_id}/edit"),
            ("GET", f"/staff/portals/{return_id}/send"),
            ("POST", f"/staff/portals/{return_id}/send"),
            ("POST", f"/staff/portals/{return_id}/unlock"),
            ("GET", f"/staff/returns/{return_id}/uploads"),
            ("POST", f"/staff/users/{return_id}/unlock"),
        ):
            response = await staff_client.request(
                method, path, data={"csrf_token": token}, allow_redirects=False
            )
            assert response.status == 404, (method, path, await response.text())
            assert "We could not find that page" in await response.text()


async def test_a_nul_in_a_sign_in_or_recovery_form_is_a_400_page(
    staff_client: TestClient, taxpayer: TestClient, client_for: Any
):
    anonymous = await client_for(staff_client.app)
    for path, page, fields in (
        ("/portal/login", "/portal/login", {"username": "a\x00b", "password": "x"}),
        ("/staff/login", "/staff/login", {"email": "a\x00b@example.com", "password": "x"}),
        ("/portal/forgot-password", "/portal/forgot-password", {"identifier": "a\x00b"}),
        ("/portal/reset-password", "/portal/forgot-password", {"identifier": "a\x00b"}),
    ):
        token = await csrf_from(anonymous, page)
        response = await anonymous.post(path, data={"csrf_token": token, **fields})
        assert response.status == 400, path
        assert REFUSED in await response.text()


async def test_a_nul_or_control_character_in_a_search_is_a_400_page(staff_client: TestClient):
    for query in ("q=%00", "q=a%1Bb", "q=%C2%85"):
        for page in ("/staff/", "/staff/portals"):
            response = await staff_client.get(f"{page}?{query}")
            assert response.status == 400, (page, query)
            assert REFUSED in await response.text()
    assert (await staff_client.get("/staff/?q=tab%09ok")).status == 400  # not in a search


async def test_text_areas_may_hold_line_breaks(staff_client: TestClient):
    token = await csrf_from(staff_client, "/staff/tokens")
    response = await staff_client.post(
        "/staff/tokens", data={"csrf_token": token, "label": "two\r\nlines\tand a tab"}
    )
    assert response.status == 201


async def test_a_crafted_notes_cookie_on_my_files_is_ignored(taxpayer: TestClient):
    crafted = [
        b'[{"kind": ["stored"]}]',  # a kind that is not text
        b'[{"kind": "more", "count": "\xc2\xb2"}]',  # "2" as a superscript digit
        b'[{"kind": "stored", "name": "\\ud800"}]',  # a lone surrogate
        b"[" * 3000,  # deeper than the JSON parser goes
    ]
    for value in crafted:
        cookie = base64.urlsafe_b64encode(value).decode()
        response = await taxpayer.get(
            "/portal/files", headers={"Cookie": _with_session(taxpayer, cookie)}
        )
        assert response.status == 200, value[:40]
        assert "My Files" in await response.text()


def _with_session(client: TestClient, notes: str) -> str:
    session = client.session.cookie_jar.filter_cookies(client.make_url("/portal/files"))
    pairs = [f"{name}={morsel.value}" for name, morsel in session.items()]
    return "; ".join([*pairs, f"tp_files_note={notes}"])


async def test_raised_redirects_and_router_errors_carry_the_security_headers(
    staff_client: TestClient, client_for: Any
):
    anonymous = await client_for(staff_client.app)
    for method, path, status in (
        ("GET", "/", 303),  # raised HTTPSeeOther
        ("GET", "/staff/", 303),  # raised by staff_required
        ("GET", "/api/no-such-thing", 404),  # the router's own 404
        ("GET", "/nowhere", 404),
        ("GET", "/staff/logout", 405),  # the router's own 405
        ("GET", "/portal/files/2147483648", 404),  # the id check
        ("GET", "/staff/?q=%00", 400),  # the text check
    ):
        response = await anonymous.request(method, path, allow_redirects=False)
        assert response.status == status, (method, path)
        for header in SECURITY_HEADERS:
            assert header in response.headers, (method, path, header)
        assert response.headers["Cache-Control"] == "no-store"


async def test_an_id_past_the_database_is_404_before_any_query(staff_client: TestClient):
    """A real return's edit page works; one past PostgreSQL's integer is a 404, not a query."""
    token = await csrf_from(staff_client, "/staff/returns/new")
    await staff_client.post(
        "/staff/returns/new",
        data={"csrf_token": token, "tax_year": "2025", "last_name": "Evans", "ssn": "400-12-3497"},
    )
    tax_return = await TaxReturn.get(last_name="Evans")
    assert (await staff_client.get(f"/staff/returns/{tax_return.id}/edit")).status == 200
    over = str(2**31 + tax_return.id - 1)
    assert (await staff_client.get(f"/staff/returns/{over}/edit")).status == 404
