"""Builds the Core (config, plugins, key) and starts it; shared by the app and the CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from taxportal.config import AppConfig
from taxportal.context import Core
from taxportal.contracts import JobHandler
from taxportal.crypto import FieldCipher, load_or_create_key
from taxportal.db import close_database, open_database, tortoise_config
from taxportal.jobs.registry import JobHandlers
from taxportal.plugins import Plugins, build_plugin_manager
from taxportal.services import key_check
from taxportal.services.accounts.passwords import PasswordHasher


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
    """Pick and build the chosen backends, gather the job handlers, open the database
    (refused when migrations are pending), start the backends, then the plugins
    (``taxportal_startup``); on the way out the reverse: plugins, backends, database."""
    await core.plugins.resolve_backends()
    core.jobs = JobHandlers([*core_job_handlers(core), *core.plugins.job_handlers(core)])
    await open_database(database_config(core))
    try:
        await key_check.check_same_key(core.cipher)  # before anything seals a secret
        await core.plugins.start_backends()
        if core.plugins.bus_backend is not None:
            await core.plugins.bus.start(core.plugins.bus_backend)
        await core.plugins.start_plugins()  # after the bus: a plugin's start-up may publish
        try:
            yield core
        finally:
            await core.plugins.stop_plugins()
    finally:
        await core.plugins.bus.close()
        await core.plugins.close_backends()
        await close_database()


def core_job_handlers(core: Core) -> list[JobHandler]:
    """The kinds of job the core itself runs."""
    from taxportal.services.accounts import link_retry, lock_notice
    from taxportal.services.documents import notice as document_notice
    from taxportal.services.signing import consent_notice, identity_notice, reminders, sweep
    from taxportal.services.uploads import digest as upload_digest

    return [
        upload_digest.handler(core),
        document_notice.retry_handler(core),
        consent_notice.handler(core),
        *link_retry.handlers(core),
        lock_notice.handler(core),
        identity_notice.handler(core),
        sweep.handler(core),
        reminders.handler(core),
    ]
