"""Guessing a staff account in parallel: passwords, authenticator codes and recovery codes
share one limit of 10, and at most 10 guesses are ever checked, however many requests are in
flight, in one server process or two; the right secret is refused once locked, the sign-in
page says nothing of the lock, and the staff member is told by email once."""

from __future__ import annotations

import email
import email.policy
import re
import time
from typing import Any

import aiohttp
import pyotp
import pytest

from taxportal.models import ActivityEntry, StaffUser, WebSession
from taxportal.services.accounts import lock_notice
from taxportal.services.accounts import staff as staff_service
from tests.core.test_staff_second_factor import code_page, enrol, sign_out
from tests.guessing import LIMIT_FACTOR, NO_THROTTLE, at_once, counting_passwords, same_page
from tests.support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    csrf_from,
    fresh_code,
    jobs_finished,
    sign_in_with_password,
)
from tests.uploads.helpers import Server, process_env

LIMIT = staff_service.SIGN_IN_ATTEMPTS


async def staff_lock_emails(core: Any) -> list[str]:
    """The recipients of the lock emails sent so far (once the due jobs ran)."""
    await jobs_finished(core, lock_notice.KIND)  # the notices are jobs
    found = []
    for path in sorted((core.config.data_dir / "outbox" / "email").glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if "console account is locked" in str(mail["Subject"]):
            found.append(str(mail["To"]))
    return found


async def test_parallel_wrong_passwords_check_at_most_the_limit(build_app, client_for, core_of):
    client = await client_for(await build_app(**NO_THROTTLE))
    user = await staff_service.add_staff(core_of(client), ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    hasher = counting_passwords(core_of(client))
    token = await csrf_from(client, "/staff/login")

    async def wrong(i: int) -> int:
        data = {"csrf_token": token, "email": ADMIN_EMAIL, "password": f"not it {i}", "next": ""}
        return (await client.post("/staff/login", data=data, allow_redirects=False)).status

    statuses = await at_once(LIMIT_FACTOR * LIMIT, wrong)

    assert set(statuses) == {401}
    assert hasher.against(user.password_hash) == LIMIT
    right = await sign_in_with_password(client)
    unknown = await sign_in_with_password(client, "nobody@firm.example.com", ADMIN_PASSWORD)
    assert right.status == unknown.status == 401
    assert same_page(await right.text(), ADMIN_EMAIL) == same_page(
        await unknown.text(), "nobody@firm.example.com"
    )
    assert hasher.against(user.password_hash) == LIMIT  # the right password was not checked
    assert await staff_lock_emails(core_of(client)) == [ADMIN_EMAIL]


@pytest.mark.parametrize("field", ["code", "recovery_code"])
async def test_parallel_wrong_second_factor_codes_check_at_most_the_limit(
    build_app, client_for, core_of, field
):
    client = await client_for(await build_app(**NO_THROTTLE))
    await staff_service.add_staff(core_of(client), ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    secret, recovery_codes = await enrol(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    await sign_out(client)
    assert (await sign_in_with_password(client)).status == 303  # the password is right
    _html, token = await code_page(client)
    valid = {pyotp.TOTP(secret).at(time.time(), counter_offset=offset) for offset in (-1, 0, 1, 2)}
    wrong = next(c for c in ("123456", "654321", "000000") if c not in valid)
    guess = wrong if field == "code" else "zzzz-zzzz"

    async def attempt(_: int) -> int:
        data = {"csrf_token": token, field: guess, "next": "/staff/"}
        return (await client.post("/staff/2fa", data=data, allow_redirects=False)).status

    statuses = await at_once(LIMIT_FACTOR * LIMIT, attempt)

    assert await ActivityEntry.filter(action="staff_second_factor_failed").count() == LIMIT
    assert set(statuses) <= {401, 403, 303}  # 303: the lock already ended the session
    right = pyotp.TOTP(secret).now() if field == "code" else recovery_codes[0]
    refused = await client.post(
        "/staff/2fa",
        data={"csrf_token": token, field: right, "next": "/staff/"},
        allow_redirects=False,
    )
    assert refused.status in (303, 403) and refused.headers.get("Location") != "/staff/"
    assert (await client.get("/staff/", allow_redirects=False)).status == 303  # not signed in
    assert await WebSession.filter(second_factor_at__isnull=False).count() == 0
    assert (await sign_in_with_password(client)).status == 401  # locked: a wrong one's answer
    assert await ActivityEntry.filter(action="staff_second_factor_failed").count() == LIMIT
    assert await staff_lock_emails(core_of(client)) == [ADMIN_EMAIL]


async def _form_token(session: aiohttp.ClientSession, base: str) -> str:
    async with session.get(f"{base}/staff/login") as response:
        match = re.search(r'name="csrf_token" value="([^"]+)"', await response.text())
    assert match
    return match.group(1)


async def test_two_server_processes_together_check_at_most_the_limit(started, tmp_path):
    """Two `taxportal serve` processes on one database, each with its own connections: the
    limit is held by the database's single statement, not by either process."""
    core = await started()
    user = await staff_service.add_staff(core, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    env = process_env(core.config, **NO_THROTTLE)
    servers = [Server(env, tmp_path).start(), Server(env, tmp_path).start()]
    try:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            tokens = [await _form_token(session, server.base) for server in servers]

            async def wrong(i: int) -> int:
                server, token = servers[i % 2], tokens[i % 2]
                data = {"csrf_token": token, "email": ADMIN_EMAIL, "password": f"no {i}"}
                async with session.post(
                    f"{server.base}/staff/login", data=data, allow_redirects=False
                ) as response:
                    return response.status

            statuses = await at_once(LIMIT_FACTOR * LIMIT, wrong)
    finally:
        for server in servers:
            server.stop()

    assert set(statuses) == {401}
    checked = await ActivityEntry.filter(action="staff_sign_in_failed", subject=f"staff:{user.id}")
    refused = await ActivityEntry.filter(action="staff_sign_in_locked")
    assert len(checked) == LIMIT and len(refused) == LIMIT_FACTOR * LIMIT - LIMIT
    assert (await StaffUser.get(id=user.id)).locked_until is not None


async def test_the_right_password_on_the_last_attempt_still_signs_in(
    build_app, client_for, core_of
):
    """The last attempt reserves the lock before the check; a right password gives it back,
    so the staff member goes on to the second factor, and passing it clears the count."""
    client = await client_for(await build_app(**NO_THROTTLE))
    await staff_service.add_staff(core_of(client), ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    secret, _codes = await enrol(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    await sign_out(client)
    for _ in range(LIMIT - 1):
        assert (await sign_in_with_password(client, ADMIN_EMAIL, "not it")).status == 401

    assert (await sign_in_with_password(client)).status == 303
    _html, token = await code_page(client)
    right = await fresh_code(secret, ADMIN_EMAIL)
    data = {"csrf_token": token, "code": right, "next": "/staff/"}
    passed = await client.post("/staff/2fa", data=data, allow_redirects=False)
    assert passed.status == 303 and passed.headers["Location"] == "/staff/"
    user = await StaffUser.get(email=ADMIN_EMAIL)
    assert user.failed_sign_ins == 0 and user.locked_until is None
    assert await staff_lock_emails(core_of(client)) == []
