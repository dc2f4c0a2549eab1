"""The data directory is its owner's only (0700 folders, 0600 files) whatever the umask,
and `serve` says which existing paths are open to other users."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from taxportal.models import ActivityEntry
from taxportal.private_files import warn_if_too_open
from taxportal.runtime import build_core, started
from taxportal.services.documents.spool import spool
from taxportal_notify_email.outbox import Outbox
from taxportal_notify_sms.outbox import OutboxWriter
from tests.core.test_cli import free_port, run
from tests.support import migrate


@pytest.fixture
def everyday_umask() -> Iterator[None]:
    """The usual umask (0022), which leaves new files readable by every user."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _modes(root: Path) -> dict[str, str]:
    modes = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        modes[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return modes


async def test_everything_the_portal_creates_in_its_data_directory_is_private(
    make_config, tmp_path, everyday_umask
):
    data_dir = tmp_path / "data"  # make_config's; its parents are made here too
    config = make_config("", TAXPORTAL_SERVER__DATA_DIR=str(data_dir / "firm"))
    data_dir = config.data_dir
    await migrate(config)
    async with started(build_core(config)) as core:
        await ActivityEntry.create(action="test")  # a write: SQLite's -wal and -shm exist
        await core.plugins.storage.put("u/1/0123abcd", _chunks(b"%PDF-1.7 a W-2"))
        mail = EmailMessage()
        mail["To"], mail["Subject"] = "pat@example.com", "Your portal"
        mail.set_content("https://portal.test/register/secret-link")
        await Outbox(data_dir / "outbox" / "email").deliver(mail)
        OutboxWriter(data_dir / "outbox" / "sms", "+15550000000").deliver("+15555550100", "hi")
        spooled = await spool(data_dir, _chunks(b"%PDF-1.7 a return"), 1 << 20)
        modes = _modes(tmp_path / "data")

    for name in ("firm/taxportal.sqlite3-wal", "firm/taxportal.sqlite3-shm", "firm/spool"):
        assert name in modes, sorted(modes)
    assert str(spooled.path.relative_to(tmp_path / "data")) in modes
    wrong = {
        name: mode
        for name, mode in modes.items()
        if mode != ("0o700" if (tmp_path / "data" / name).is_dir() else "0o600")
    }
    assert wrong == {}


def test_serve_warns_once_per_path_open_to_others_and_still_starts(
    tmp_path, everyday_umask, caplog
):
    data_dir = tmp_path / "old"
    (data_dir / "outbox" / "email").mkdir(parents=True, mode=0o755)
    (data_dir / "taxportal.sqlite3").write_bytes(b"")
    os.chmod(data_dir / "taxportal.sqlite3", 0o644)
    os.chmod(data_dir, 0o755)  # noqa: S103  # an install made before this version
    (data_dir / "encryption.key").touch(mode=0o600)
    (data_dir / "outbox" / "email" / "deep.eml").touch(mode=0o644)  # beyond two levels

    assert warn_if_too_open(data_dir) == 4
    lines = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(lines) == 4
    assert any(
        line.startswith(f"{data_dir / 'taxportal.sqlite3'} is open to other users (mode 0644")
        for line in lines
    )
    assert not any("encryption.key" in line or "deep.eml" in line for line in lines)


def test_serve_logs_the_warning_and_runs_on(tmp_path):
    assert run(tmp_path, "migrate", "--data-dir", "d").returncode == 0
    os.chmod(tmp_path / "d", 0o755)  # noqa: S103  # as an older version left it
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    port = str(free_port())
    command = [sys.executable, "-m", "taxportal.cli", "serve", "--data-dir", "d", "--port", port]
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.stdout:
            lines.append(server.stdout.readline())
            if "Taxpayer portal:" in lines[-1]:
                break
    finally:
        server.terminate()
        server.communicate(timeout=15)
    output = "".join(lines)
    assert "d is open to other users (mode 0755, expected 0700)" in output
    assert "Taxpayer portal:" in output  # it served all the same
