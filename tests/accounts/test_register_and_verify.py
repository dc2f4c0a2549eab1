"""Register from the invitation, verify with a code, reach Home, sign out, sign in again."""

from __future__ import annotations

from taxportal.models import ActivityEntry, Invitation, Portal, TaxpayerAccount, WebSession
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


async def test_register_verify_by_text_and_see_home(taxpayer):
    link = await invited(taxpayer)
    page = await (await taxpayer.get(link)).text()
    assert "Register Your Account" in page
    for label in (
        "User Name",
        "Password",
        "Email",
        "Phone Number",
        "Last Name",
        "Last Four Of your SSN",
        "One lowercase character",
        "25 characters maximum",
    ):
        assert label in page
    assert 'autocomplete="new-password"' in page and 'type="tel"' in page
    assert 'inputmode="numeric"' in page

    response = await register(taxpayer, link)
    assert response.status == 303 and response.headers["Location"] == "/portal/verify"
    assert (await taxpayer.get("/portal/", allow_redirects=False)).headers["Location"] == (
        "/portal/verify"
    )

    verify = await (await taxpayer.get("/portal/verify")).text()
    assert "Send Email: she****@com" in verify and "Send Text: 70****97" in verify
    assert (await send_code(taxpayer, "sms")).status == 303
    sent = await (await taxpayer.get("/portal/verify?sent=1")).text()
    assert "Code sent - please check your account for your personalized Security Code." in sent

    old_cookie = taxpayer.session.cookie_jar.filter_cookies(taxpayer.make_url("/"))[
        "tp_taxpayer"
    ].value
    response = await enter_code(taxpayer, code_in(newest_sms_text(taxpayer)))
    assert response.status == 303 and response.headers["Location"] == "/portal/"
    home = await (await taxpayer.get("/portal/")).text()
    assert "0 Files Uploaded" in home and "0 Files Sent" in home
    assert "Evans Tax Service" in home and "Sherry Núñez" in home
    for item in ("Home", "My Files", "Preparer Files", "Sign out"):
        assert item in home
    assert "Messages" not in home  # no messaging plugin contributes it
    # A new session id after verification: the pre-verification cookie is dead.
    stale = await taxpayer.get(
        "/portal/", allow_redirects=False, cookies={"tp_taxpayer": old_cookie}
    )
    assert stale.status == 303 and stale.headers["Location"] == "/portal/login"

    account = await TaxpayerAccount.get(username_key="sherry")
    assert account.verified_at is not None
    assert (await Portal.get(id=account.portal_id)).status == "verified"  # type: ignore[attr-defined]


async def test_sign_out_then_sign_in_on_the_same_device_skips_the_code(taxpayer):
    await registered_and_verified(taxpayer)
    assert (await sign_out(taxpayer)).headers["Location"] == "/portal/login?signed_out=1"
    assert await WebSession.filter(kind="taxpayer").count() == 0
    response = await sign_in(taxpayer, "SHERRY")  # user names are case-insensitive
    assert response.status == 303 and response.headers["Location"] == "/portal/"


async def test_a_new_browser_must_pass_a_code_again(taxpayer, client_for):
    await registered_and_verified(taxpayer)
    other = await client_for(taxpayer.app)
    response = await sign_in(other)
    assert response.headers["Location"] == "/portal/verify"
    assert (await other.get("/portal/", allow_redirects=False)).headers["Location"] == (
        "/portal/verify"
    )
    await send_code(other, "email")
    code = code_in(newest_email(other).get_body(("plain",)).get_content())
    assert (await enter_code(other, code)).headers["Location"] == "/portal/"


async def test_cancel_verification_leaves_without_verifying(taxpayer):
    link = await invited(taxpayer)
    await register(taxpayer, link)
    token = await form_token(taxpayer, "/portal/verify")
    response = await taxpayer.post(
        "/portal/verify/cancel", data={"csrf_token": token}, allow_redirects=False
    )
    assert response.headers["Location"] == "/portal/login?cancelled=1"
    account = await TaxpayerAccount.get(username_key="sherry")
    assert account.verified_at is None
    assert (await taxpayer.get("/portal/", allow_redirects=False)).headers["Location"] == (
        "/portal/login"
    )


async def test_replayed_invitation_is_refused(taxpayer, client_for):
    link = await invited(taxpayer)
    assert (await register(taxpayer, link)).status == 303
    again = await client_for(taxpayer.app)
    response = await register(again, link, username="someone-else")
    assert response.status == 410
    assert "This link was already used" in await response.text()
    assert await TaxpayerAccount.all().count() == 1
    assert (await Invitation.get(portal_id=(await Portal.first()).id)).used_at is not None


async def test_a_taken_user_name_is_said_first(taxpayer):
    await registered_and_verified(taxpayer)
    link = await invited(
        taxpayer, ssn="400-12-5555", primary_email="ana@example.com", last_name="Other"
    )
    response = await register(
        taxpayer, link, username="Sherry", last_name="wrong", ssn_last4="0000"
    )
    assert response.status == 400
    assert "This user name is taken" in await response.text()
    assert await ActivityEntry.filter(action="registration_mismatch").count() == 0


async def test_weak_and_common_passwords_are_refused_by_the_server(taxpayer):
    link = await invited(taxpayer)
    for password in ("Shrt1!a", "alllowercase1!", "Password1!", "a" * 30 + "A1!"):
        response = await register(taxpayer, link, password=password)
        assert response.status == 400, password
        assert "does not meet the rules" in await response.text()
    assert await TaxpayerAccount.all().count() == 0
    assert PASSWORD not in "".join([e.detail.__repr__() for e in await ActivityEntry.all()])


async def test_a_spanish_taxpayer_is_told_in_spanish_that_they_signed_out(taxpayer):
    await registered_and_verified(taxpayer, language="es")
    home = await (await taxpayer.get("/portal/")).text()
    assert "Mis archivos" in home
    response = await sign_out(taxpayer)
    page = await (await taxpayer.get(response.headers["Location"])).text()
    assert "Ha cerrado sesión." in page
