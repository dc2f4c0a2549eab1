"""Fixtures: a TLS fake of Vonage and a factory for the plugin facade with notify_sms on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from taxportal.plugins import Plugins
from taxportal.testing.plugins import plugins_with

from .fake_vonage import FakeVonage

BuildPlugins = Callable[..., Awaitable[Plugins]]


@pytest.fixture
def fake_vonage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeVonage]:
    """A running fake whose CA the requests library trusts for this test only."""
    with FakeVonage(tmp_path / "fake-vonage") as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_file))
        for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        yield fake


@pytest.fixture
def build_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BuildPlugins:
    """``await build_plugins(env={...}, path=None)``: config -> plugin manager -> facade."""
    monkeypatch.chdir(tmp_path)  # so no taxportal.toml of the working copy is read

    async def build(env: dict[str, str] | None = None, path: Path | None = None) -> Plugins:
        return await plugins_with(tmp_path / "data", "notify_sms", config_file=path, **(env or {}))

    return build
