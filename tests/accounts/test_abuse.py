"""What a careful attacker or a tired taxpayer tries: each case is refused, clearly, and logged."""

from __future__ import annotations

import datetime as dt
import logging

from taxportal.models import (
    ActivityEntry,
    OneTimeCode,
    Portal,
    TaxpayerAccount,
    WebSession,
)
from tests.accounts.journey import (
    PASSWORD,
    code_in,
    enter_code,
    form_token,
    invited,
    newest_email,
    newest_sms_text,
    register,
    registered_and_verified,
    send_code,
    sign_in,
    sign_out,
)
from tests.support import SENTINEL_SSN

GENERIC = "We could not match this information to your tax return."


async def test_wrong_last_four_gets_one_generic_message(taxpayer):
    link = await invited(taxpayer)
    wrong_four = await register(taxpayer, link, ssn_last4="0000")
    wrong_name = await register(taxpayer, link, last_name="Smith")
    wrong_contact = await register(taxpayer, link, email="other@example.com", phone="")
    pages = [await r.text() for r in (wrong_four, wrong_name, wrong_contact)]
    for response, page in zip((wrong_four, wrong_name, wrong_contact), pages, strict=True):
        assert response.status == 400
        assert GENERIC in page
        for hint in ("SSN", "last name", "Last Name is", "email does", "phone does"):
            assert f"{hint} is wrong" not in page and "differ" not in page
    # the three answers are the same page apart from the form values
    assert all("ssn_last4" in p for p in pages)
    assert await TaxpayerAccount.all().count() == 0
    reasons = [
        e.detail["reasons"]
        for e in await ActivityEntry.filter(action="registration_mismatch").order_by("id")
    ]
    assert reasons[0] == ["identity_match: last four of the SSN differ"]  # the log knows why


async def test_repeated_mismatches_lock_the_invitation_until_staff_unlock(taxpayer, core_of):
    link = await invited(taxpayer)
    for _ in range(5):
        await register(taxpayer, link, ssn_last4="0000")
    locked = await register(taxpayer, link)  # even the right answer is refused now
    assert locked.status == 423
    assert "locked after too many attempts" in await locked.text()
    portal = await Portal.first()
    assert portal.locked_at is not None
    assert await ActivityEntry.filter(action="invitation_locked").count() == 1

    from taxportal.services.accounts.taxpayers import unlock_portal

    await unlock_portal(portal.id, "staff:1")
    assert (await register(taxpayer, link)).status == 303


async def test_sixth_wrong_code_is_locked_and_a_resend_does_not_reset_the_count(taxpayer):
    link = await invited(taxpayer)
    await register(taxpayer, link)
    await send_code(taxpayer, "sms")
    right = code_in(newest_sms_text(taxpayer))
    wrong = "000000" if right != "000000" else "111111"
    for attempt in range(3):
        response = await enter_code(taxpayer, wrong)
        assert response.status == 400, attempt
        assert "That code is not right" in await response.text()
    await OneTimeCode.all().update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2))
    assert (await send_code(taxpayer, "email")).status == 303  # a new code after the cooldown
    right = code_in(newest_email(taxpayer).get_body(("plain",)).get_content())
    wrong = "000000" if right != "000000" else "111111"
    fourth = await enter_code(taxpayer, wrong)
    assert fourth.status == 400
    fifth = await enter_code(taxpayer, wrong)
    assert fifth.status == 423
    sixth = await enter_code(taxpayer, right)  # even the right code: the account is locked
    assert sixth.status == 423
    assert "Too many wrong codes" in await sixth.text()
    account = await TaxpayerAccount.first()
    assert account.verified_at is None and account.locked_until is not None
    assert await ActivityEntry.filter(action="account_locked").count() == 1


async def test_expired_code_is_refused(taxpayer):
    link = await invited(taxpayer)
    await register(taxpayer, link)
    await send_code(taxpayer, "sms")
    code = code_in(newest_sms_text(taxpayer))
    await OneTimeCode.all().update(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    response = await enter_code(taxpayer, code)
    assert response.status == 400
    assert "expired" in await response.text()
    assert (await TaxpayerAccount.first()).verified_at is None


async def test_resending_too_soon_is_refused_with_the_wait(taxpayer):
    link = await invited(taxpayer)
    await register(taxpayer, link)
    assert (await send_code(taxpayer, "sms")).status == 303
    again = await send_code(taxpayer, "sms")
    assert again.status == 429
    assert "You can ask for another one in" in await again.text()


async def test_cookie_replay_after_sign_out_is_refused(taxpayer):
    await registered_and_verified(taxpayer)
    jar = taxpayer.session.cookie_jar.filter_cookies(taxpayer.make_url("/"))
    stolen = jar["tp_taxpayer"].value
    await sign_out(taxpayer)
    replay = await taxpayer.get("/portal/", allow_redirects=False, cookies={"tp_taxpayer": stolen})
    assert replay.status == 303 and replay.headers["Location"] == "/portal/login"


async def test_idle_session_expires(taxpayer):
    await registered_and_verified(taxpayer)
    await WebSession.all().update(last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))
    response = await taxpayer.get("/portal/", allow_redirects=False)
    assert response.headers["Location"] == "/portal/login"
    assert await WebSession.all().count() == 0


async def test_missing_csrf_token_is_forbidden(taxpayer):
    link = await invited(taxpayer)
    await taxpayer.get(link)  # the browser has its CSRF cookie
    response = await taxpayer.post(
        link,
        data={
            "username": "sherry",
            "password": PASSWORD,
            "last_name": "Nunez",
            "ssn_last4": "3497",
            "email": "sherry@example.com",
        },
    )
    assert response.status == 403
    assert await TaxpayerAccount.all().count() == 0


async def test_taxpayer_b_sees_nothing_of_taxpayer_a(taxpayer, client_for):
    link_a = await invited(taxpayer)  # taxpayer A: Sherry Núñez
    assert (await register(taxpayer, link_a)).status == 303
    b = await client_for(taxpayer.app)
    link_b = await invited(
        b,
        ssn="400-12-8888",
        first_name="Bob",
        last_name="Baker",
        primary_email="bob@example.com",
        mobile_phone="7065550188",
    )
    assert (
        await register(
            b, link_b, username="bob", last_name="Baker", ssn_last4="8888", email="bob@example.com"
        )
    ).status == 303
    await send_code(b, "email")
    await enter_code(b, code_in(newest_email(b).get_body(("plain",)).get_content()))
    for path in (
        "/portal/",
        "/portal/files",
        "/portal/preparer-files",
        "/portal/account/password",
    ):
        page = await (await b.get(path)).text()
        assert "Bob Baker" in page
        assert "Sherry" not in page and "Núñez" not in page and "sherry@" not in page
    # A's used invitation link tells B nothing about A.
    used = await b.get(link_a)
    assert used.status == 410 and "Sherry" not in await used.text()
    assert (await b.get("/portal/nothing-here")).status == 404


async def test_sign_in_throttled_per_address_and_locked_per_account(taxpayer, make_config):
    await registered_and_verified(taxpayer)
    await sign_out(taxpayer)
    for _ in range(10):
        response = await sign_in(taxpayer, password="Wrong-pass1!")
        assert response.status == 401
        assert "The user name or password is not right." in await response.text()
    locked = await sign_in(taxpayer)  # right password, locked account: a wrong one's answer
    assert locked.status == 401
    assert "The user name or password is not right." in await locked.text()
    unknown = await sign_in(taxpayer, username="nobody", password="Wrong-pass1!")
    assert unknown.status == 401  # an unknown user gets the same answer as a wrong password
    for _ in range(30):
        last = await sign_in(taxpayer, username="nobody", password="x")
    assert last.status == 429


async def test_forgot_password_does_not_tell_who_exists_and_resets(taxpayer, client_for):
    await registered_and_verified(taxpayer)
    other_device = await client_for(taxpayer.app)
    await sign_in(other_device)  # a second session that must end on reset

    async def ask(identifier: str) -> str:
        token = await form_token(taxpayer, "/portal/forgot-password")
        response = await taxpayer.post(
            "/portal/forgot-password",
            data={"csrf_token": token, "identifier": identifier, "channel": "sms"},
        )
        assert response.status == 200
        return await response.text()

    known, unknown = await ask("sherry"), await ask("nobody-here")
    notice = "If we found a verified account, we sent a security code"
    assert notice in known and notice in unknown
    code = code_in(newest_sms_text(taxpayer))
    token = await form_token(taxpayer, "/portal/forgot-password")
    reset = await taxpayer.post(
        "/portal/reset-password",
        data={
            "csrf_token": token,
            "identifier": "sherry",
            "code": code,
            "password": "New-Season2!x",
            "password_again": "New-Season2!x",
        },
        allow_redirects=False,
    )
    assert reset.status == 303 and reset.headers["Location"] == "/portal/login?password_changed=1"
    assert await WebSession.filter(kind="taxpayer").count() == 0  # every session ended
    assert (await sign_in(taxpayer, password=PASSWORD)).status == 401
    assert (await sign_in(taxpayer, password="New-Season2!x")).status == 303


async def test_forgot_user_name_goes_to_the_contact_on_the_return(taxpayer):
    await registered_and_verified(taxpayer)
    token = await form_token(taxpayer, "/portal/forgot-username")
    response = await taxpayer.post(
        "/portal/forgot-username", data={"csrf_token": token, "identifier": "SHERRY@example.com"}
    )
    assert "If that email or phone belongs to a verified account" in await response.text()
    message = newest_email(taxpayer)
    assert message["To"] == "sherry@example.com"
    assert "sherry" in message.get_body(("plain",)).get_content()


async def test_change_password_ends_every_other_session(taxpayer, client_for):
    await registered_and_verified(taxpayer)
    laptop = await client_for(taxpayer.app)
    await sign_in(laptop)
    token = await form_token(taxpayer, "/portal/account/password")
    response = await taxpayer.post(
        "/portal/account/password",
        data={
            "csrf_token": token,
            "current": PASSWORD,
            "password": "Another-Pass3!",
            "password_again": "Another-Pass3!",
        },
        allow_redirects=False,
    )
    assert response.status == 303
    assert (await taxpayer.get("/portal/", allow_redirects=False)).status == 200
    assert (await laptop.get("/portal/verify", allow_redirects=False)).status == 303


async def test_no_secret_reaches_the_logs_or_the_activity_log(taxpayer, caplog):
    caplog.set_level(logging.DEBUG)
    link = await invited(taxpayer, ssn=SENTINEL_SSN)
    await register(taxpayer, link, ssn_last4="0000")
    await register(taxpayer, link, ssn_last4="6789")
    await send_code(taxpayer, "sms")
    code = code_in(newest_sms_text(taxpayer))
    await enter_code(taxpayer, code)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    activity = "\n".join(
        repr((e.action, e.actor, e.subject, e.detail)) for e in await ActivityEntry.all()
    )
    for secret in (
        SENTINEL_SSN,
        SENTINEL_SSN.replace("-", ""),
        PASSWORD,
        code,
        link.rsplit("/", 1)[1],
    ):
        assert secret not in logged, secret
        assert secret not in activity, secret
    assert "taxpayer_registered" in activity and "code_accepted" in activity
