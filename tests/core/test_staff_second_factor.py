"""Staff second factor (TOTP): no client data before it, set-up, codes once, recovery codes,
admin reset and unlock, lockouts, throttling, and nothing secret in the activity log."""

from __future__ import annotations

import base64
import json
import logging
import re
import time

import pyotp

from taxportal.models import ActivityEntry, StaffRecoveryCode, StaffUser, TaxReturn, WebSession
from taxportal.services.accounts import staff as staff_service
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields
from tests.support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    csrf_from,
    fresh_code,
    secret_on_page,
    sign_in,
    sign_in_with_password,
    totp_secret_of,
)

PREPARER_EMAIL = "pat@firm.example.com"
PREPARER_PASSWORD = "a long preparer password"
CLIENT_LAST_NAME = "Quixote-Zebulon"  # searched for on pages that must not show client data
RECOVERY_CODE = re.compile(r"<code>([a-z2-9]{4}-[a-z2-9]{4})</code>")


def cookie_of(client) -> str:  # type: ignore[no-untyped-def]
    return client.session.cookie_jar.filter_cookies(client.make_url("/"))["tp_staff"].value


async def code_page(client) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The /staff/2fa page and its CSRF token."""
    response = await client.get("/staff/2fa?next=/staff/", allow_redirects=False)
    html = await response.text()
    assert response.status == 200, html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    return html, token.group(1)


async def post_code(client, code: str, field: str = "code", next_path: str = "/staff/"):  # type: ignore[no-untyped-def]
    _html, token = await code_page(client)
    return await client.post(
        "/staff/2fa",
        data={"csrf_token": token, field: code, "next": next_path},
        allow_redirects=False,
    )


async def enrol(client, email: str, password: str) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Set up through the pages: the secret from the page, and the recovery codes shown."""
    assert (await sign_in_with_password(client, email, password)).status == 303
    html, _token = await code_page(client)
    secret = secret_on_page(html)
    assert secret
    response = await post_code(client, await fresh_code(secret, email))
    assert response.status == 200, await response.text()
    return secret, RECOVERY_CODE.findall(await response.text())


async def sign_out(client) -> None:  # type: ignore[no-untyped-def]
    token = await csrf_from(client, "/staff/2fa") if await _pending(client) else None
    token = token or await csrf_from(client, "/staff/tokens")
    await client.post("/staff/logout", data={"csrf_token": token}, allow_redirects=False)


async def _pending(client) -> bool:  # type: ignore[no-untyped-def]
    response = await client.get("/staff/2fa", allow_redirects=False)
    return response.status == 200


async def add_preparer(core, email: str = PREPARER_EMAIL) -> StaffUser:  # type: ignore[no-untyped-def]
    return await staff_service.add_staff(core, email, PREPARER_PASSWORD, "preparer")


async def new_app(build_app, client_for, core_of, **env: str):  # type: ignore[no-untyped-def]
    client = await client_for(await build_app(**env))
    await staff_service.add_staff(core_of(client), ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    return client


async def test_without_the_second_factor_no_client_data_is_shown(build_app, client_for, core_of):
    client = await new_app(build_app, client_for, core_of)
    saved, _ = await returns_service.upsert(
        core_of(client),
        ReturnFields(
            tax_year=2025, last_name=CLIENT_LAST_NAME, first_name="Ana", ssn="400-55-1234"
        ),
        actor="test",
    )
    response = await sign_in_with_password(client)
    assert response.status == 303 and response.headers["Location"] == "/staff/2fa?next=/staff/"

    paths = [
        "/staff/",
        "/staff/portals",
        f"/staff/returns/{saved.id}/edit",
        "/staff/returns/new",
        "/staff/import",
        "/staff/tokens",
        "/staff/users",
        f"/staff/portals/{saved.id}/send",
    ]
    for path in paths:
        refused = await client.get(path, allow_redirects=False)
        assert refused.status == 303, path
        assert refused.headers["Location"] == f"/staff/2fa?next={path}", path
        followed = await client.get(path)
        body = await followed.text()
        assert followed.url.path == "/staff/2fa", path
        assert CLIENT_LAST_NAME not in body and "-1234" not in body, path
        assert "File Viewer" not in body  # not even the console's menu

    # A state change is refused too, even with the session's own CSRF token.
    _html, token = await code_page(client)
    posted = await client.post(
        "/staff/returns/new",
        data={"csrf_token": token, "tax_year": "2025", "last_name": "Doe"},
        allow_redirects=False,
    )
    assert posted.status == 303 and posted.headers["Location"].startswith("/staff/2fa")
    assert await TaxReturn.all().count() == 1


async def test_set_up_with_the_qr_code_and_a_right_code_gives_a_new_session(
    build_app, client_for, core_of
):
    client = await new_app(build_app, client_for, core_of)
    await sign_in_with_password(client)
    password_only_cookie = cookie_of(client)
    html, token = await code_page(client)

    assert "Set up your second factor" in html
    qr = re.search(r'<img class="qr" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    assert qr, html
    assert base64.b64decode(qr.group(1)).startswith(b"<svg")
    assert 'alt="QR code that adds admin@firm.example.com at Evans Tax Service' in html
    grouped = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html)
    assert grouped and re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", grouped.group(1))
    secret = grouped.group(1).replace(" ", "")
    assert secret == await totp_secret_of(client, ADMIN_EMAIL)  # the stored one, encrypted
    stored = await StaffUser.get(email=ADMIN_EMAIL)
    assert secret not in stored.totp_secret_encrypted and stored.totp_enabled_at is None
    assert "<script" not in html and "style=" not in html  # the CSP allows neither

    response = await client.post(
        "/staff/2fa",
        data={"csrf_token": token, "code": await fresh_code(secret, ADMIN_EMAIL), "next": "/"},
        allow_redirects=False,
    )
    page = await response.text()
    assert response.status == 200 and "Save your recovery codes" in page
    codes = RECOVERY_CODE.findall(page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert '<a class="button" href="/">Continue</a>' in page

    new_cookie = cookie_of(client)
    assert new_cookie != password_only_cookie
    assert (await client.get("/staff/", allow_redirects=False)).status == 200
    replay = await client.get(
        "/staff/", allow_redirects=False, cookies={"tp_staff": password_only_cookie}
    )
    assert replay.status == 303 and replay.headers["Location"].startswith("/staff/login")
    assert await WebSession.all().count() == 1

    enrolled = await StaffUser.get(email=ADMIN_EMAIL)
    assert enrolled.totp_enabled_at is not None
    hashes = await StaffRecoveryCode.filter(staff_id=enrolled.id).values_list(
        "code_hash", flat=True
    )
    assert len(hashes) == 10 and not set(codes) & set(hashes)
    actions = await ActivityEntry.all().values_list("action", flat=True)
    assert "staff_second_factor_enrolled" in actions and "staff_signed_in" in actions


async def test_a_wrong_code_is_refused(build_app, client_for, core_of):
    client = await new_app(build_app, client_for, core_of)
    secret, _codes = await enrol(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    await sign_out(client)
    await sign_in_with_password(client)
    valid = {pyotp.TOTP(secret).at(time.time(), counter_offset=offset) for offset in (-1, 0, 1, 2)}
    wrong = next(c for c in ("123456", "654321", "000000") if c not in valid)

    response = await post_code(client, wrong)
    assert response.status == 401
    assert "That code is not right" in await response.text()
    assert (
        (await client.get("/staff/", allow_redirects=False))
        .headers["Location"]
        .startswith("/staff/2fa")
    )
    for not_a_code in ("12345", "abcdef", ""):
        assert (await post_code(client, not_a_code)).status == 401
    assert (await StaffUser.get(email=ADMIN_EMAIL)).failed_sign_ins == 4


async def test_a_code_is_accepted_only_once(build_app, client_for, core_of):
    client = await new_app(build_app, client_for, core_of)
    secret, _codes = await enrol(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    await sign_out(client)

    await sign_in_with_password(client)
    code = await fresh_code(secret, ADMIN_EMAIL)
    response = await post_code(client, code, next_path="/staff/portals")
    assert response.status == 303 and response.headers["Location"] == "/staff/portals"
    await sign_out(client)

    await sign_in_with_password(client)
    again = await post_code(client, code)  # the same time step, within its minute
    assert again.status == 401
    reasons = await ActivityEntry.filter(action="staff_second_factor_failed").values_list(
        "detail", flat=True
    )
    assert reasons == [{"reason": "code already used"}]
    assert (await client.get("/staff/", allow_redirects=False)).status == 303


async def test_a_recovery_code_works_once_and_only_once(build_app, client_for, core_of):
    client = await new_app(build_app, client_for, core_of)
    _secret, codes = await enrol(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    await sign_out(client)

    await sign_in_with_password(client)
    html, _token = await code_page(client)
    assert '<a href="/staff/2fa?recovery=1&amp;next=/staff/">Use a recovery code</a>' in html
    recovery_page = await (await client.get("/staff/2fa?recovery=1&next=/staff/")).text()
    assert 'name="recovery_code"' in recovery_page
    used = await post_code(client, codes[0], field="recovery_code")
    assert used.status == 303
    assert (await client.get("/staff/", allow_redirects=False)).status == 200
    await sign_out(client)

    await sign_in_with_password(client)
    refused = await post_code(client, codes[0], field="recovery_code")
    assert refused.status == 401
    assert "That recovery code is not right" in await refused.text()
    # Another one, typed in capitals without its dash, still works.
    other = await post_code(client, codes[1].replace("-", "").upper(), field="recovery_code")
    assert other.status == 303
    entries = await ActivityEntry.filter(action="staff_recovery_code_used").values_list(
        "detail", flat=True
    )
    assert entries == [{"codes_left": 9}, {"codes_left": 8}]


async def test_admin_reset_makes_the_preparer_set_up_again_and_ends_their_sessions(
    staff_client, client_for, core_of
):
    preparer = await add_preparer(core_of(staff_client))
    pat = await client_for(staff_client.app)
    old_secret, _codes = await enrol(pat, PREPARER_EMAIL, PREPARER_PASSWORD)
    assert (await pat.get("/staff/", allow_redirects=False)).status == 200

    users = await (await staff_client.get("/staff/users")).text()
    row = re.search(rf'<tr id="staff-{preparer.id}">.*?</tr>', users, re.S)
    assert row and "<td>active</td>" in row.group(0) and "Reset second factor" in row.group(0)
    token = await csrf_from(staff_client, "/staff/users")
    response = await staff_client.post(
        f"/staff/users/{preparer.id}/reset-second-factor", data={"csrf_token": token}
    )
    assert response.status == 200 and "Second factor reset" in await response.text()

    ended = await pat.get("/staff/", allow_redirects=False)
    assert ended.status == 303 and ended.headers["Location"].startswith("/staff/login")
    assert await StaffRecoveryCode.filter(staff_id=preparer.id).count() == 0
    assert await WebSession.filter(staff_id=preparer.id).count() == 0
    users = await (await staff_client.get("/staff/users")).text()
    assert f'<tr id="staff-{preparer.id}"><td>{PREPARER_EMAIL}</td>' in users
    assert "no second factor" in users

    await sign_in_with_password(pat, PREPARER_EMAIL, PREPARER_PASSWORD)
    html, _token = await code_page(pat)
    assert "Set up your second factor" in html
    assert secret_on_page(html) not in (None, old_secret)
    reset = await ActivityEntry.get(action="staff_second_factor_reset")
    assert reset.subject == f"staff:{preparer.id}" and reset.actor.startswith("staff:")


async def test_a_preparer_cannot_reset_or_unlock(staff_client, client_for, core_of):
    await add_preparer(core_of(staff_client))
    pat = await client_for(staff_client.app)
    await sign_in(pat, PREPARER_EMAIL, PREPARER_PASSWORD)
    admin = await StaffUser.get(email=ADMIN_EMAIL)
    token = await csrf_from(pat, "/staff/tokens")
    for action in ("reset-second-factor", "unlock"):
        response = await pat.post(f"/staff/users/{admin.id}/{action}", data={"csrf_token": token})
        assert response.status == 403, action
    assert (await StaffUser.get(id=admin.id)).totp_enabled_at is not None
    admin_token = await csrf_from(staff_client, "/staff/users")
    missing = await staff_client.post("/staff/users/999/unlock", data={"csrf_token": admin_token})
    assert missing.status == 404


async def test_wrong_passwords_lock_the_account_without_saying_so_and_an_admin_unlocks(
    staff_client, client_for, core_of
):
    preparer = await add_preparer(core_of(staff_client))
    pat = await client_for(staff_client.app)
    await sign_in(pat, PREPARER_EMAIL, PREPARER_PASSWORD)
    await sign_out(pat)
    for _ in range(staff_service.SIGN_IN_ATTEMPTS):
        response = await sign_in_with_password(pat, PREPARER_EMAIL, "not the password!")
        assert response.status == 401

    # Now even the right password is refused, with the answer an unknown email gets.
    locked = await sign_in_with_password(pat, PREPARER_EMAIL, PREPARER_PASSWORD)
    unknown = await sign_in_with_password(pat, "nobody@firm.example.com", PREPARER_PASSWORD)
    assert locked.status == unknown.status == 401
    locked_text = (await locked.text()).replace(PREPARER_EMAIL, "EMAIL")
    unknown_text = (await unknown.text()).replace("nobody@firm.example.com", "EMAIL")
    assert re.sub(r'value="[^"]{20,}"', "", locked_text) == re.sub(
        r'value="[^"]{20,}"', "", unknown_text
    )
    assert "The email or password is not right." in locked_text

    users = await (await staff_client.get("/staff/users")).text()
    row = re.search(rf'<tr id="staff-{preparer.id}">.*?</tr>', users, re.S)
    assert row and re.search(r"<td>locked until \d\d:\d\d UTC</td>", row.group(0))
    token = await csrf_from(staff_client, "/staff/users")
    unlocked = await staff_client.post(
        f"/staff/users/{preparer.id}/unlock", data={"csrf_token": token}
    )
    assert unlocked.status == 200 and "Account unlocked." in await unlocked.text()
    await sign_in(pat, PREPARER_EMAIL, PREPARER_PASSWORD)
    assert (await pat.get("/staff/", allow_redirects=False)).status == 200
    actions = await ActivityEntry.filter(subject=f"staff:{preparer.id}").values_list(
        "action", flat=True
    )
    assert {"staff_locked", "staff_sign_in_locked", "staff_unlocked"} <= set(actions)


async def test_wrong_codes_count_toward_the_lock_and_end_the_session(
    build_app, client_for, core_of
):
    client = await new_app(build_app, client_for, core_of)
    secret, _codes = await enrol(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    await sign_out(client)
    await sign_in_with_password(client, ADMIN_EMAIL, "a wrong password")  # 1 failure
    await sign_in_with_password(client)
    valid = {pyotp.TOTP(secret).at(time.time(), counter_offset=offset) for offset in (-1, 0, 1, 2)}
    wrong = next(c for c in ("123456", "654321", "000000") if c not in valid)
    for _ in range(staff_service.SIGN_IN_ATTEMPTS - 2):
        assert (await post_code(client, wrong)).status == 401
    last = await post_code(client, wrong)
    assert last.status == 403
    page = await last.text()
    assert "Account locked" in page and re.search(r"locked until \d\d:\d\d UTC", page)
    assert (await client.get("/staff/2fa", allow_redirects=False)).status == 303  # session ended
    assert await WebSession.all().count() == 0
    # The right password and a right code now wait for the lock to end.
    assert (await sign_in_with_password(client)).status == 401
    locked = await StaffUser.get(email=ADMIN_EMAIL)
    assert locked.locked_until is not None and locked.failed_sign_ins == 0


async def test_too_many_attempts_from_one_address_get_429(build_app, client_for, core_of):
    client = await new_app(build_app, client_for, core_of, TAXPORTAL_THROTTLE__PER_ADDRESS="3")
    for _ in range(3):
        assert (await sign_in_with_password(client, ADMIN_EMAIL, "wrong password!")).status == 401
    throttled = await sign_in_with_password(client)  # even the right password
    assert throttled.status == 429
    text = await throttled.text()
    assert "Too many sign-in attempts from this connection. Wait 15 minutes" in text
    assert "not right" not in text
    assert await WebSession.all().count() == 0


async def test_too_many_codes_from_one_address_get_429(build_app, client_for, core_of):
    client = await new_app(build_app, client_for, core_of, TAXPORTAL_THROTTLE__PER_ADDRESS="3")
    await sign_in_with_password(client)
    for _ in range(3):
        assert (await post_code(client, "000000")).status == 401
    html, _token = await code_page(client)
    secret = secret_on_page(html)
    assert secret
    throttled = await post_code(client, await fresh_code(secret, ADMIN_EMAIL))
    assert throttled.status == 429
    assert "Too many attempts from this connection" in await throttled.text()
    assert (await StaffUser.get(email=ADMIN_EMAIL)).totp_enabled_at is None


async def test_pending_session_can_sign_out_and_2fa_needs_a_password_first(
    build_app, client_for, core_of
):
    client = await new_app(build_app, client_for, core_of)
    anonymous = await client.get("/staff/2fa?next=/staff/portals", allow_redirects=False)
    assert anonymous.status == 303
    assert anonymous.headers["Location"] == "/staff/login?next=/staff/portals"
    await sign_in_with_password(client)
    _html, token = await code_page(client)
    out = await client.post("/staff/logout", data={"csrf_token": token}, allow_redirects=False)
    assert out.status == 303 and await WebSession.all().count() == 0


async def test_no_code_secret_or_password_reaches_the_activity_log_or_the_logs(
    build_app, client_for, core_of, caplog
):
    caplog.set_level(logging.DEBUG)
    client = await new_app(build_app, client_for, core_of)
    await sign_in_with_password(client, ADMIN_EMAIL, "a wrong password!")
    secret, codes = await enrol(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    await sign_out(client)
    await sign_in_with_password(client)
    await post_code(client, "000000")
    used = await fresh_code(secret, ADMIN_EMAIL)
    await post_code(client, used)
    await sign_out(client)
    await sign_in_with_password(client)
    await post_code(client, codes[0], field="recovery_code")
    await sign_out(client)
    await sign_in_with_password(client)
    await post_code(client, codes[0], field="recovery_code")  # used already: refused

    entries = await ActivityEntry.all().values("action", "actor", "subject", "address", "detail")
    logged = json.dumps(entries, default=str) + caplog.text
    assert "staff_second_factor_failed" in logged and "staff_recovery_code_used" in logged
    secrets_seen = [ADMIN_PASSWORD, "a wrong password!", secret, used, *codes]
    secrets_seen += [codes[0].replace("-", ""), secret[:8]]
    for value in secrets_seen:
        assert value not in logged, value


async def test_only_a_same_site_next_path_is_followed(build_app, client_for, core_of):
    client = await new_app(build_app, client_for, core_of)
    for next_path in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        token = await csrf_from(client, "/staff/login")
        response = await client.post(
            "/staff/login",
            data={
                "csrf_token": token,
                "email": ADMIN_EMAIL,
                "password": ADMIN_PASSWORD,
                "next": next_path,
            },
            allow_redirects=False,
        )
        assert response.headers["Location"] == "/staff/2fa?next=/staff/", next_path
        page = await (await client.get(f"/staff/2fa?next={next_path}")).text()
        assert 'name="next" value="/staff/"' in page, next_path
