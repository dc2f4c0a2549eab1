"""`taxportal plugins` and `taxportal config check`."""

from __future__ import annotations

import argparse

from taxportal.config import AppConfig
from taxportal.plugins import Plugins, build_plugin_manager, enabled_names, installed_plugins


def list_plugins(args: argparse.Namespace, config: AppConfig) -> int:
    installed = installed_plugins()
    enabled = enabled_names(config, installed)
    plugins = Plugins(build_plugin_manager(config), config)
    hooks = plugins.hooks_by_plugin()
    print(f"{'plugin':<18} {'enabled':<8} {'distribution':<28} {'version':<9} hooks")
    for name in sorted(installed):
        info = installed[name]
        status = "yes" if name in enabled else "no"
        implemented = ", ".join(hooks.get(name, [])) or "-"
        print(f"{name:<18} {status:<8} {info.distribution:<28} {info.version:<9} {implemented}")
    return 0


async def check_config(args: argparse.Namespace, config: AppConfig) -> int:
    plugins = Plugins(build_plugin_manager(config), config)
    plugins.validate_settings()
    await plugins.resolve_backends()
    channels = ", ".join(f"{c} -> {n.name}" for c, n in sorted(plugins.notifiers.items()))
    print(f"Configuration OK ({config.source}).")
    print(f"  data directory: {config.data_dir}")
    print(f"  database: {config.database_url.split('://')[0]}")
    print(f"  notifications: {channels or 'none'}")
    return 0
