"""For plugin authors' tests: the facade built exactly the way the core builds it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from taxportal.config import load_config
from taxportal.plugins import Plugins, build_plugin_manager


async def plugins_with(
    data_dir: Path,
    plugin: str,
    settings: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
    **env: str,
) -> Plugins:
    """Config -> plugin manager -> facade with only ``plugin`` enabled, backends resolved.

    ``settings`` become ``TAXPORTAL_<PLUGIN>__<NAME>`` values; ``env`` adds any other
    ``TAXPORTAL_*`` value; ``config_file`` is read as the TOML file.
    """
    values = {
        "TAXPORTAL_PLUGINS__ENABLED": f'["{plugin}"]',
        "TAXPORTAL_SERVER__DATA_DIR": str(data_dir),
    }
    for name, value in (settings or {}).items():
        values[f"TAXPORTAL_{plugin.upper()}__{name.upper()}"] = str(value)
    values.update(env)
    config = load_config(path=config_file, env=values)
    plugins = Plugins(build_plugin_manager(config), config)
    plugins.validate_settings()
    await plugins.resolve_backends()
    return plugins
