"""`taxportal staff reset-password`: a lost staff password is replaced on the server."""

from __future__ import annotations

import sqlite3

from argon2 import PasswordHasher

from taxportal.models import ActivityEntry
from taxportal.services.accounts import staff as staff_service
from tests.core.test_cli import run
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in_with_password

NEW_PASSWORD = "a brand new staff password"


async def test_a_reset_ends_every_session_and_only_the_new_password_signs_in(
    staff_client, client_for, core_of
):
    assert (await staff_client.get("/staff/", allow_redirects=False)).status == 200
    await staff_service.reset_password(core_of(staff_client), ADMIN_EMAIL, NEW_PASSWORD, "cli")

    signed_out = await staff_client.get("/staff/", allow_redirects=False)
    assert signed_out.status == 303 and signed_out.headers["Location"].startswith("/staff/login")
    other = await client_for(staff_client.app)
    assert (await sign_in_with_password(other, ADMIN_EMAIL, ADMIN_PASSWORD)).status == 401
    accepted = await sign_in_with_password(other, ADMIN_EMAIL, NEW_PASSWORD)
    assert accepted.status == 303 and accepted.headers["Location"].startswith("/staff/2fa")
    entry = await ActivityEntry.get(action="staff_password_reset")
    assert entry.actor == "cli" and entry.detail["sessions_ended"] == 1
    assert NEW_PASSWORD not in str(entry.detail) and ADMIN_PASSWORD not in str(entry.detail)


async def test_a_reset_keeps_the_staff_password_policy(staff_client, core_of):
    try:
        await staff_service.reset_password(core_of(staff_client), ADMIN_EMAIL, "short", "cli")
    except staff_service.StaffError as exc:
        assert "at least 12 characters" in str(exc)
    else:
        raise AssertionError("a short password was accepted")
    assert (await staff_client.get("/staff/", allow_redirects=False)).status == 200


def test_the_command_reads_the_password_from_stdin_and_never_prints_it(tmp_path):
    assert run(tmp_path, "migrate", "--data-dir", "d").returncode == 0
    env = {"PW": "the first long password"}
    args = ("--data-dir", "d")
    added = run(
        tmp_path, "staff", "add", "Boss@Firm.example.com", "--password-env", "PW", *args, env=env
    )
    assert added.returncode == 0, added.stderr

    def reset(email: str, password: str):  # type: ignore[no-untyped-def]
        return run(
            tmp_path,
            "staff",
            "reset-password",
            email,
            "--password-stdin",
            *args,
            stdin_text=password + "\n",
        )

    short = reset("boss@firm.example.com", "too short")
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    unknown = reset("nobody@firm.example.com", NEW_PASSWORD)
    assert unknown.returncode == 2 and "no staff account nobody@firm.example.com" in unknown.stderr
    done = reset("boss@firm.example.com", NEW_PASSWORD)
    assert done.returncode == 0, done.stderr
    assert "New password set for boss@firm.example.com" in done.stdout
    assert NEW_PASSWORD not in done.stdout + done.stderr
    with sqlite3.connect(tmp_path / "d" / "taxportal.sqlite3") as db:
        (stored,) = db.execute("SELECT password_hash FROM staff_user").fetchone()
    assert PasswordHasher().verify(stored, NEW_PASSWORD)
