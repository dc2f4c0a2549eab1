"""Fixtures for the storage plugins: a facade built the way the core builds it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from taxportal.plugins import Plugins
from taxportal.testing.plugins import plugins_with

MakePlugins = Callable[..., Awaitable[Plugins]]


@pytest.fixture
def make_storage_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakePlugins:
    """Config + plugin manager + facade with only ``plugin`` enabled.

    ``settings`` become TAXPORTAL_<PLUGIN>__* variables; ``toml`` is written to a file.
    """
    monkeypatch.chdir(tmp_path)  # never pick up a taxportal.toml lying in the working copy

    async def make(
        plugin: str, settings: dict[str, Any] | None = None, toml: str | None = None, **env: str
    ) -> Plugins:
        path = None
        if toml is not None:
            path = tmp_path / "portal.toml"
            path.write_text(toml, encoding="utf-8")
        return await plugins_with(tmp_path / "data", plugin, settings, path, **env)

    return make
