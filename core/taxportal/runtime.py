"""Builds the Core (config, plugins, key) and starts it; shared by the app and the CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from taxportal.config import AppConfig
from taxportal.context import Core
from taxportal.crypto import FieldCipher, load_or_create_key
from taxportal.db import close_database, open_database, tortoise_config
from taxportal.plugins import Plugins, build_plugin_manager
from taxportal.services.passwords import PasswordHasher


def build_core(
    config: AppConfig, extra_plugins: Iterable[object] = (), passwords: PasswordHasher | None = None
) -> Core:
    """Load plugins, check every settings section and read the key; errors raise here."""
    plugins = Plugins(build_plugin_manager(config, extra_plugins), config)
    plugins.validate_settings()
    secret = config.core.security.encryption_key
    key = load_or_create_key(secret.get_secret_value() if secret else None, config.data_dir)
    return Core(config, plugins, FieldCipher(key), passwords or PasswordHasher())


def database_config(core: Core) -> dict:  # type: ignore[type-arg]
    return tortoise_config(core.config, core.plugins.model_modules())


@asynccontextmanager
async def started(core: Core) -> AsyncIterator[Core]:
    """Pick the backends, open the database (refused when migrations are pending), start
    the backends; close them all on the way out."""
    await core.plugins.resolve_backends()
    await open_database(database_config(core))
    try:
        await core.plugins.start_backends()
        if core.plugins.bus_backend is not None:
            await core.plugins.bus.start(core.plugins.bus_backend)
        yield core
    finally:
        await core.plugins.bus.close()
        await core.plugins.close_backends()
        await close_database()
