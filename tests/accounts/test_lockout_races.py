"""Guessing in parallel: every taxpayer limit of N checks at most N guesses, however many
requests are in flight, and the right secret is refused once the limit locked.

Each test fires 5 x N requests at once through the HTTP client and counts the guesses the
server really checked: passwords by a counting hasher, codes and identity checks by their
failure rows in the activity log (asserted to be exactly N, so a check cannot go unlogged).
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from taxportal.models import ActivityEntry, Portal, TaxpayerAccount
from taxportal.services.accounts import lock_notice
from taxportal.web.keys import CORE
from tests.accounts.journey import (
    PASSWORD,
    code_in,
    core,
    form_token,
    invited,
    newest_sms_text,
    outbox,
    register,
    registered_and_verified,
    send_code,
    sign_in,
    sign_out,
)
from tests.guessing import LIMIT_FACTOR, NO_THROTTLE, at_once, counting_passwords, same_page
from tests.support import jobs_finished

LOCKED_SUBJECTS = ("Your portal account is locked for a while", "Su cuenta del portal")


async def lock_notices(client: TestClient) -> list[tuple[str, str, str]]:
    """(channel, to, text) of every lock notice sent so far, once the due jobs ran."""
    await jobs_finished(client.app[CORE], lock_notice.KIND)  # the notices are jobs
    found = []
    for path in sorted(outbox(client, "email").glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if str(mail["Subject"]).startswith(LOCKED_SUBJECTS):
            found.append(("email", str(mail["To"]), mail.get_body(("plain",)).get_content()))
    for path in sorted(outbox(client, "sms").glob("*.json")):
        record = json.loads(path.read_text())
        if re.search(r"portal.*(locked|bloqueada)", record["text"]):
            found.append(("sms", record["to"], record["text"]))
    return found


async def a_verified_taxpayer(build_app: Any, client_for: Any) -> TestClient:
    client = await client_for(await build_app(**NO_THROTTLE))
    await registered_and_verified(client)
    await sign_out(client)
    return client


def wrong_code(right: str) -> str:
    return "000000" if right != "000000" else "111111"


async def test_parallel_wrong_passwords_check_at_most_the_limit(build_app, client_for):
    client = await a_verified_taxpayer(build_app, client_for)
    hasher = counting_passwords(core(client))
    account = await TaxpayerAccount.get()
    limit = core(client).config.core.accounts.sign_in_attempts
    token = await form_token(client, "/portal/login")

    async def wrong(i: int) -> int:
        data = {"csrf_token": token, "username": "sherry", "password": f"Wrong-pass{i}!"}
        response = await client.post("/portal/login", data=data, allow_redirects=False)
        return response.status

    statuses = await at_once(LIMIT_FACTOR * limit, wrong)

    assert set(statuses) == {401}
    assert hasher.against(account.password_hash) == limit
    right = await sign_in(client)  # the right password, once locked: refused, and not checked
    assert right.status == 401
    assert hasher.against(account.password_hash) == limit
    [(channel, to, _text)] = await lock_notices(client)  # one lock, one notice
    assert (channel, to) == ("email", "sherry@example.com")


@pytest.mark.parametrize("purpose", ["verify", "sign_in"])
async def test_parallel_wrong_codes_check_at_most_the_limit(build_app, client_for, purpose):
    """First verification, and the code a new browser must pass at sign-in."""
    client = await client_for(await build_app(**NO_THROTTLE))
    if purpose == "verify":
        assert (await register(client, await invited(client))).status == 303
    else:
        await registered_and_verified(client)
        client = await client_for(client.app)  # a new browser: no remembered device
        assert (await sign_in(client)).headers["Location"] == "/portal/verify"
    assert (await send_code(client, "sms")).status == 303
    right = code_in(newest_sms_text(client))
    limit = core(client).config.core.accounts.code_attempts
    token = await form_token(client, "/portal/verify")
    accepted = await ActivityEntry.filter(action="code_accepted").count()

    async def guess(_: int) -> int:
        data = {"csrf_token": token, "code": wrong_code(right)}
        response = await client.post("/portal/verify/check", data=data, allow_redirects=False)
        return response.status

    statuses = await at_once(LIMIT_FACTOR * limit, guess)

    assert await ActivityEntry.filter(action="code_rejected").count() == limit
    assert set(statuses) <= {400, 423} and statuses.count(423) >= LIMIT_FACTOR * limit - limit
    again = await client.post(
        "/portal/verify/check", data={"csrf_token": token, "code": right}, allow_redirects=False
    )
    assert again.status == 423
    assert await ActivityEntry.filter(action="code_accepted").count() == accepted
    assert (await client.get("/portal/", allow_redirects=False)).status == 303  # not in
    assert len(await lock_notices(client)) == 1


async def test_parallel_wrong_reset_codes_check_at_most_the_limit(build_app, client_for):
    """Knowing only the taxpayer's email, guessing the reset code in parallel."""
    client = await a_verified_taxpayer(build_app, client_for)
    account = await TaxpayerAccount.get()
    token = await form_token(client, "/portal/forgot-password")
    asked = {"csrf_token": token, "identifier": "sherry@example.com", "channel": "sms"}
    assert (await client.post("/portal/forgot-password", data=asked)).status == 200
    right = code_in(newest_sms_text(client))
    limit = core(client).config.core.accounts.code_attempts

    async def reset(code: str) -> tuple[int, str]:
        data = {
            "csrf_token": token,
            "identifier": "sherry@example.com",
            "code": code,
            "password": "New-Season2!x",
            "password_again": "New-Season2!x",
        }
        response = await client.post("/portal/reset-password", data=data, allow_redirects=False)
        return response.status, await response.text()

    answers = await at_once(LIMIT_FACTOR * limit, lambda _: reset(wrong_code(right)))

    assert await ActivityEntry.filter(action="code_rejected").count() == limit
    assert {status for status, _ in answers} == {400}
    status, page = await reset(right)  # refused, with the answer a wrong code gets
    assert status == 400
    assert same_page(page) == same_page(answers[0][1])
    assert (await TaxpayerAccount.get()).password_hash == account.password_hash
    assert len(await lock_notices(client)) == 1


async def test_parallel_registration_mismatches_check_at_most_the_limit(build_app, client_for):
    client = await client_for(await build_app(**NO_THROTTLE))
    link = await invited(client)
    limit = core(client).config.core.accounts.registration_attempts
    token = await form_token(client, link)

    async def mismatch(i: int) -> int:
        data = {
            "csrf_token": token,
            "username": f"sherry{i}",
            "password": PASSWORD,
            "email": "sherry@example.com",
            "phone": "",
            "last_name": "nunez",
            "ssn_last4": "0000",
        }
        return (await client.post(link, data=data, allow_redirects=False)).status

    statuses = await at_once(LIMIT_FACTOR * limit, mismatch)

    assert await ActivityEntry.filter(action="registration_mismatch").count() == limit
    assert set(statuses) <= {400, 423}
    assert await ActivityEntry.filter(action="invitation_locked").count() == 1
    right = await register(client, link)
    assert right.status == 423
    assert (await Portal.get()).locked_at is not None
    assert await TaxpayerAccount.all().count() == 0


async def test_unknown_wrong_and_locked_names_get_one_answer_at_one_cost(build_app, client_for):
    """From outside, an unknown name, a wrong password and a locked account look alike; the
    taxpayer hears of the lock by their chosen channel, in their language."""
    client = await a_verified_taxpayer(build_app, client_for)
    await TaxpayerAccount.all().update(notify_channel="sms", language="es")
    hasher = counting_passwords(core(client))

    async def answer(username: str, password: str) -> tuple[int, str]:
        response = await sign_in(client, username=username, password=password)
        return response.status, same_page(await response.text(), username)

    unknown = await answer("nobody-here", "Wrong-pass1!")
    wrong = await answer("sherry", "Wrong-pass1!")
    for _ in range(core(client).config.core.accounts.sign_in_attempts - 1):
        await answer("sherry", "Wrong-pass1!")
    before = hasher.total()
    locked = await answer("sherry", PASSWORD)

    assert unknown == wrong == locked
    assert locked[0] == 401
    assert hasher.total() == before + 1  # a locked account still costs one password check
    [(channel, to, text)] = await lock_notices(client)
    assert (channel, to) == ("sms", "+17065550197")
    assert "bloqueada" in text and "15 minutos" in text


async def test_the_address_throttle_lets_only_its_limit_through(build_app, client_for):
    client = await client_for(await build_app(TAXPORTAL_THROTTLE__PER_ADDRESS="6"))
    hasher = counting_passwords(core(client))
    token = await form_token(client, "/portal/login")

    async def attempt(i: int) -> int:
        data = {"csrf_token": token, "username": f"nobody{i}", "password": "x"}
        return (await client.post("/portal/login", data=data, allow_redirects=False)).status

    statuses = await at_once(LIMIT_FACTOR * 6, attempt)

    assert statuses.count(401) == 6 and statuses.count(429) == LIMIT_FACTOR * 6 - 6
    assert hasher.total() == 6  # only the attempts let through reached the password check


async def test_the_right_password_on_the_last_attempt_signs_in(build_app, client_for):
    """The last attempt locks before its check; a right password lifts that lock again."""
    client = await a_verified_taxpayer(build_app, client_for)
    for _ in range(core(client).config.core.accounts.sign_in_attempts - 1):
        assert (await sign_in(client, password="Wrong-pass1!")).status == 401

    right = await sign_in(client)

    assert right.status == 303 and right.headers["Location"] == "/portal/"
    account = await TaxpayerAccount.get()
    assert account.failed_sign_ins == 0 and account.locked_until is None
    assert await lock_notices(client) == []
