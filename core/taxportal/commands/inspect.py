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
    for warning in [*several_hosts_warnings(config, plugins), *await _key_warnings(config)]:
        print(f"WARNING: {warning}")
    return 0


def several_hosts_warnings(config: AppConfig, plugins: Plugins) -> list[str]:
    """Settings that work on one host but not on several (PostgreSQL is what hosts share)."""
    if config.database_url.startswith("sqlite"):
        return []
    found = []
    storage = plugins.storage
    if storage is not None and getattr(storage, "name", "") == "storage_local":
        found.append(
            "[storage] backend = local keeps files on this host's disk: with several hosts "
            "each sees only its own files; use storage_s3 (or one shared file system)"
        )
    if plugins.bus_backend is not None and plugins.bus_backend.name == "local":
        found.append(
            "[bus] backend = local keeps events in one process: other processes and hosts "
            "would not hear them (live messages, notices); use postgres or redis"
        )
    return found


async def _key_warnings(config: AppConfig) -> list[str]:
    """Compare this host's data key with the one the database records (read only)."""
    from taxportal.db import close_database, open_database, tortoise_config
    from taxportal.runtime import build_core
    from taxportal.services import key_check

    core = build_core(config)
    try:
        await open_database(tortoise_config(config, core.plugins.model_modules()))
    except Exception as exc:  # noqa: BLE001 - unreachable or unmigrated: say so, go on
        return [f"the database could not be checked ({type(exc).__name__})"]
    try:
        recorded = await key_check.recorded()
    finally:
        await close_database()
    if recorded is not None and recorded != key_check.fingerprint(core.cipher):
        return [
            "this host's data-encryption key differs from the one the database records: "
            "the server will refuse to start; give every host the same key"
        ]
    return []
