"""What `taxportal serve` tells the person who started it, and the demo's sample firm."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from taxportal.demo import DEMO_FIRM
from tests.core.test_cli import free_port, run


def test_serve_demo_names_the_console_and_the_portal_and_a_sample_firm(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "taxportal.cli", "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.stdout:
            line = server.stdout.readline()
            lines.append(line)
            if "Taxpayer portal:" in line:
                break
        sign_in = _page(f"http://127.0.0.1:{port}/staff/login")
    finally:
        server.terminate()
        rest, _ = server.communicate(timeout=15)
    output = "".join(lines)
    assert f"Preparer console: http://127.0.0.1:{port}/staff/login" in output
    assert f"Taxpayer portal:  http://127.0.0.1:{port}/portal/login" in output
    assert "Demo admin: admin@demo-firm.example.com" in output
    assert DEMO_FIRM["name"] in output and DEMO_FIRM["name"] in sign_in
    assert "Your Tax Firm" not in sign_in
    assert "Tortoise-ORM shutdown" not in output + rest


def _page(url: str) -> str:
    """The page once the server listens (it greets just before it binds the port)."""
    for _ in range(50):
        try:
            with urllib.request.urlopen(url, timeout=10) as page:  # noqa: S310  # http only
                return str(page.read().decode())
        except urllib.error.URLError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def test_a_configured_firm_name_wins_over_the_demo_one_and_commands_end_quietly(tmp_path):
    (tmp_path / "taxportal.toml").write_text('[firm]\nname = "Garcia & Sons"\n')
    migrated = run(tmp_path, "migrate", "--data-dir", "d")
    assert migrated.returncode == 0 and "Tortoise-ORM shutdown" not in migrated.stderr
    from taxportal.cli import _overrides, _with_demo_firm
    from taxportal.config import load_config

    class Args:
        config = str(tmp_path / "taxportal.toml")
        demo = True
        data_dir = str(tmp_path / "d")

    config = _with_demo_firm(Args(), load_config(Args.config, overrides=_overrides(Args())))  # type: ignore[arg-type]
    assert config.core.firm.name == "Garcia & Sons"
    assert config.core.firm.phone == DEMO_FIRM["phone"]
