"""The preparer console: sign in, sessions, CSRF, headers, staff accounts, returns form."""

from __future__ import annotations

import pytest

from taxportal.models import ActivityEntry, TaxReturn, WebSession
from tests.support import ADMIN_EMAIL, csrf_from, sign_in


async def test_wrong_password_is_refused_without_saying_which_part(staff_client):
    await staff_client.post(
        "/staff/logout", data={"csrf_token": await csrf_from(staff_client, "/staff/")}
    )
    token = await csrf_from(staff_client, "/staff/login")
    for email in (ADMIN_EMAIL, "nobody@example.com"):
        response = await staff_client.post(
            "/staff/login",
            data={"csrf_token": token, "email": email, "password": "wrong password!"},
        )
        assert response.status == 401
        assert "The email or password is not right." in await response.text()


async def test_console_needs_a_session_and_sign_out_kills_a_copied_cookie(staff_client):
    cookie = staff_client.session.cookie_jar.filter_cookies(staff_client.make_url("/"))["tp_staff"]
    assert (await staff_client.get("/staff/", allow_redirects=False)).status == 200
    token = await csrf_from(staff_client, "/staff/")
    await staff_client.post("/staff/logout", data={"csrf_token": token})
    assert await WebSession.all().count() == 0
    replay = await staff_client.get(
        "/staff/", allow_redirects=False, cookies={"tp_staff": cookie.value}
    )
    assert replay.status == 303 and replay.headers["Location"].startswith("/staff/login")


async def test_a_form_post_without_csrf_token_is_forbidden(staff_client):
    response = await staff_client.post(
        "/staff/returns/new", data={"tax_year": "2025", "last_name": "Doe"}
    )
    assert response.status == 403
    assert await TaxReturn.all().count() == 0


async def test_pages_carry_security_headers(staff_client):
    response = await staff_client.get("/staff/")
    headers = response.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "same-origin"
    cookie = response.cookies.get("tp_staff")
    assert cookie is None or cookie["httponly"]


async def test_admin_adds_a_preparer_who_can_sign_in_but_not_manage_staff(staff_client, client_for):
    token = await csrf_from(staff_client, "/staff/users")
    response = await staff_client.post(
        "/staff/users",
        data={
            "csrf_token": token,
            "email": "Pat@Firm.example.com",
            "name": "Pat",
            "password": "a long preparer password",
            "role": "preparer",
        },
    )
    assert response.status == 200 and "Account added." in await response.text()
    pat = await client_for(staff_client.app)
    await sign_in(pat, "pat@firm.example.com", "a long preparer password")
    assert (await pat.get("/staff/")).status == 200
    assert (await pat.get("/staff/users")).status == 403


async def test_adding_and_editing_a_return_in_the_console(staff_client):
    token = await csrf_from(staff_client, "/staff/returns/new")
    created = await staff_client.post(
        "/staff/returns/new",
        data={
            "csrf_token": token,
            "tax_year": "2025",
            "return_type": "1040",
            "first_name": "Ana",
            "last_name": "Núñez",
            "ssn": "400-55-1234",
            "primary_email": "ANA@Example.com",
            "mobile_phone": "(706) 555-0123",
            "state": "ga",
            "zip_code": "30809",
            "language": "es",
        },
    )
    assert created.status == 200
    listing = (await created.text()).replace("<wbr>", "")  # an address may wrap at <wbr>
    assert "Núñez" in listing and "ana@example.com" in listing and "(706) 555-0123" in listing
    saved = await TaxReturn.get(last_name="Núñez")
    assert saved.state == "GA" and saved.mobile_phone == "+17065550123" and saved.language == "es"

    token = await csrf_from(staff_client, f"/staff/returns/{saved.id}/edit")
    edited = await staff_client.post(
        f"/staff/returns/{saved.id}/edit",
        data={
            "csrf_token": token,
            "tax_year": "2025",
            "last_name": "Núñez",
            "first_name": "Ana María",
            "primary_email": "ana@example.com",
            "mobile_phone": "7065550123",
            "state": "GA",
        },
    )
    assert edited.status == 200
    again = await TaxReturn.get(id=saved.id)
    assert again.first_name == "Ana María" and again.ssn_last4 == "1234"  # empty SSN keeps it


async def test_bad_return_input_gets_a_clear_message_and_saves_nothing(staff_client):
    cases = {
        "mobile_phone": ("123", "not a possible phone number"),
        "primary_email": ("ana@", "not a valid email address"),
        "state": ("XX", "not a US state"),
        "last_name": ("", "last_name"),
        "ssn": ("12345", "SSN must be 9 digits"),
    }
    for field, (value, expected) in cases.items():
        data = {"tax_year": "2025", "last_name": "Doe", field: value}
        data["csrf_token"] = await csrf_from(staff_client, "/staff/returns/new")
        response = await staff_client.post("/staff/returns/new", data=data)
        assert response.status == 400, field
        assert expected in await response.text(), field
    assert await TaxReturn.all().count() == 0


SSN_SHAPES = ("987654329", "987-65-4329", "987 65 4329")


@pytest.mark.parametrize("edit", [False, True], ids=["add", "edit"])
async def test_an_ssn_typed_into_any_field_of_the_return_form_is_never_shown_back(
    staff_client, core_of, edit
):
    """The console masks as the API and the import do: neither the message nor the
    re-filled form shows an SSN, whichever field it was typed into."""
    from taxportal.services.returns import records as returns_service
    from taxportal.services.returns.fields import ReturnFields

    path = "/staff/returns/new"
    if edit:
        saved, _ = await returns_service.upsert(
            core_of(staff_client),
            ReturnFields(tax_year=2025, last_name="Doe", ssn="400-55-1234"),
            actor="test",
        )
        path = f"/staff/returns/{saved.id}/edit"
    for field in ReturnFields.model_fields:
        for ssn in SSN_SHAPES:
            data = {"tax_year": "2025", "last_name": "Doe", "zip_code": "not a zip"}
            if field == "zip_code":
                data["mobile_phone"] = "123"  # another bad field, so the form comes back
            data[field] = ssn
            data["csrf_token"] = await csrf_from(staff_client, path)
            response = await staff_client.post(path, data=data)
            page = await response.text()
            assert response.status == 400, (field, ssn)
            assert not [shape for shape in SSN_SHAPES if shape in page], (field, ssn)
    error = "primary_email: &#39;***-**-****&#39; is not a valid email address"
    data = {"tax_year": "2025", "last_name": "Doe", "primary_email": "987654329"}
    data["csrf_token"] = await csrf_from(staff_client, path)
    assert error in await (await staff_client.post(path, data=data)).text()
    assert await TaxReturn.all().count() == (1 if edit else 0)


async def test_client_list_searches_filters_sorts_and_pages(staff_client, core_of):
    from taxportal.services.returns import records as returns_service
    from taxportal.services.returns.fields import ReturnFields

    core = core_of(staff_client)
    for i in range(60):
        await returns_service.upsert(
            core,
            ReturnFields(
                tax_year=2025 if i % 2 else 2024,
                last_name=f"Family{i:02d}",
                first_name="Kim",
                ssn=f"400-11-{1000 + i}",
                mobile_phone=f"70655501{i:02d}",
                primary_email=f"kim{i}@example.com",
            ),
            actor="test",
        )
    page = await (await staff_client.get("/staff/?year=2025")).text()
    assert "30 returns" in page and "Family01" in page and "Family00" not in page
    by_phone = await (await staff_client.get("/staff/?q=(706)%20555-0107")).text()
    assert "1 return " in by_phone and "Family07" in by_phone
    by_email = await (await staff_client.get("/staff/?q=KIM12@")).text()
    assert "Family12" in by_email and "1 return " in by_email
    desc = await (await staff_client.get("/staff/?sort=last_name&dir=desc")).text()
    assert desc.index("Family59") < desc.index("Family58")
    second = await (await staff_client.get("/staff/?sort=last_name&page=2")).text()
    assert "Page 2 of 2" in second and "Family50" in second and "Family49" not in second


@pytest.mark.parametrize(
    ("behind_proxy", "logged"), [("true", "203.0.113.7"), ("false", "127.0.0.1")]
)
async def test_the_address_logged_is_the_one_the_proxy_saw(
    build_app, client_for, behind_proxy, logged
):
    """Behind the firm's proxy the last X-Forwarded-For entry is the client; the entries
    before it are the client's own words, and without a proxy the header is ignored."""
    client = await client_for(await build_app(TAXPORTAL_SERVER__BEHIND_TLS_PROXY=behind_proxy))
    token = await csrf_from(client, "/staff/login")
    await client.post(
        "/staff/login",
        data={"csrf_token": token, "email": "nobody@example.com", "password": "wrong password!"},
        headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"},
    )
    entry = await ActivityEntry.filter(action="staff_sign_in_failed").get()
    assert entry.address == logged


async def test_a_preparer_turns_the_upload_email_off_and_on(staff_client):
    from taxportal.models import StaffUser

    page = await staff_client.get("/staff/settings")
    assert 'name="notify_uploads" checked' in await page.text()
    token = await csrf_from(staff_client, "/staff/settings")
    saved = await staff_client.post("/staff/settings", data={"csrf_token": token})
    assert "Settings saved." in await saved.text()
    assert (await StaffUser.get(email=ADMIN_EMAIL)).notify_uploads is False
    assert 'name="notify_uploads" >' in (await saved.text()).replace("  ", " ")
    await staff_client.post("/staff/settings", data={"csrf_token": token, "notify_uploads": "on"})
    assert (await StaffUser.get(email=ADMIN_EMAIL)).notify_uploads is True
    actions = await ActivityEntry.filter(action__startswith="staff_upload_digest").values_list(
        "action", flat=True
    )
    assert list(actions) == ["staff_upload_digest_off", "staff_upload_digest_on"]
    forged = await staff_client.post("/staff/settings", data={"notify_uploads": "on"})
    assert forged.status == 403
