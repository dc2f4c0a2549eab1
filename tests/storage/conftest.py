"""Fixtures for the storage plugins: a facade built the way the core builds it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from taxportal.config import load_config
from taxportal.plugins import Plugins, build_plugin_manager

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
        values = {
            "TAXPORTAL_PLUGINS__ENABLED": f'["{plugin}"]',
            "TAXPORTAL_SERVER__DATA_DIR": str(tmp_path / "data"),
        }
        for name, value in (settings or {}).items():
            values[f"TAXPORTAL_{plugin.upper()}__{name.upper()}"] = str(value)
        values.update(env)
        path = None
        if toml is not None:
            path = tmp_path / "portal.toml"
            path.write_text(toml, encoding="utf-8")
        config = load_config(path=path, env=values)
        plugins = Plugins(build_plugin_manager(config), config)
        plugins.validate_settings()
        await plugins.resolve_backends()
        return plugins

    return make
