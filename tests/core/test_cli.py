"""The `taxportal` command, run as a person runs it: in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from taxportal.db import UnmigratedDatabase

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def run(  # type: ignore[no-untyped-def]
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    stdin_text: str | None = None,
):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "taxportal.cli", *args],
        cwd=tmp_path,
        env=full_env,
        input=stdin_text,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_refuses_an_unmigrated_database_and_says_what_to_run(tmp_path):
    result = run(tmp_path, "serve", "--data-dir", "d", "--port", str(free_port()))
    assert result.returncode == 2
    assert "not migrated" in result.stderr and "taxportal migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_staff_add_config_check_then_serve_greets(tmp_path):
    assert run(tmp_path, "migrate", "--data-dir", "d").returncode == 0
    again = run(tmp_path, "migrate", "--data-dir", "d")
    assert "up to date" in again.stdout

    check = run(tmp_path, "config", "check", "--data-dir", "d")
    assert check.returncode == 0, check.stderr
    assert "email -> notify_email" in check.stdout and "sms -> notify_sms" in check.stdout

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "taxportal.cli", "serve", "--data-dir", "d", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60  # a loaded machine starts slowly
        while time.monotonic() < deadline and server.stdout:
            line = server.stdout.readline()
            lines.append(line)
            if "taxportal staff add" in line:
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in output
        assert "No admin yet" in output and "taxportal staff add" in output
    finally:
        server.terminate()
        server.wait(timeout=10)

    short = run(
        tmp_path,
        "staff",
        "add",
        "boss@firm.example.com",
        "--password-env",
        "PW",
        "--data-dir",
        "d",
        env={"PW": "short"},
    )
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    added = run(
        tmp_path,
        "staff",
        "add",
        "boss@firm.example.com",
        "--password-env",
        "PW",
        "--data-dir",
        "d",
        env={"PW": "a long enough password"},
    )
    assert added.returncode == 0 and "Added admin boss@firm.example.com" in added.stdout
    assert "a long enough password" not in added.stdout + added.stderr
    token = run(tmp_path, "staff", "token", "boss@firm.example.com", "--data-dir", "d")
    assert token.returncode == 0 and token.stdout.startswith("tp_")


def test_a_plugin_that_is_not_installed_is_a_one_line_error(tmp_path):
    result = run(
        tmp_path,
        "config",
        "check",
        "--data-dir",
        "d",
        env={"TAXPORTAL_PLUGINS__ENABLED": '["notify_email", "storage_dropbox"]'},
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert (
        "storage_dropbox" in result.stderr
        and "pip install taxportal-storage-dropbox" in result.stderr
    )


async def test_the_app_refuses_to_start_on_an_unmigrated_database(make_config, database):
    from aiohttp.test_utils import TestServer

    from taxportal.app import create_app
    from tests.support import fast_passwords

    app = create_app(make_config(database), passwords=fast_passwords())
    with pytest.raises(UnmigratedDatabase, match="run: taxportal migrate"):
        async with TestServer(app):
            pass


def test_serve_with_two_workers_answers_and_stops_cleanly(tmp_path):
    import urllib.request

    assert run(tmp_path, "migrate", "--data-dir", "d").returncode == 0
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "taxportal.cli",
            "serve",
            "--data-dir",
            "d",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        statuses = []
        deadline = time.monotonic() + 60  # a busy CI machine: workers also warm a pool
        while len(statuses) < 6 and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/portal/login") as reply:
                    statuses.append(reply.status)
            except OSError:
                time.sleep(0.2)
        assert statuses == [200] * 6
    finally:
        server.terminate()
        assert server.wait(timeout=15) is not None


def test_reset_2fa_from_the_command_line(tmp_path):
    assert run(tmp_path, "migrate", "--data-dir", "d").returncode == 0
    added = run(
        tmp_path,
        "staff",
        "add",
        "boss@firm.example.com",
        "--password-env",
        "PW",
        "--data-dir",
        "d",
        env={"PW": "a long enough password"},
    )
    assert added.returncode == 0
    import sqlite3

    db = sqlite3.connect(tmp_path / "d" / "taxportal.sqlite3")
    db.execute(
        "UPDATE staff_user SET totp_secret_encrypted = 'v1:x', "
        "totp_enabled_at = '2026-01-01 00:00:00+00:00', "
        "locked_until = '2999-01-01 00:00:00+00:00'"
    )
    db.commit()
    reset = run(tmp_path, "staff", "reset-2fa", "BOSS@firm.example.com", "--data-dir", "d")
    row = db.execute(
        "SELECT totp_secret_encrypted, totp_enabled_at, locked_until FROM staff_user"
    ).fetchone()
    db.close()
    assert row == ("", None, None)
    assert reset.returncode == 0, reset.stderr
    assert "set up a new authenticator" in reset.stdout
    unknown = run(tmp_path, "staff", "reset-2fa", "nobody@firm.example.com", "--data-dir", "d")
    assert unknown.returncode == 2 and "no staff account" in unknown.stderr
