"""The migrations describe the models exactly: a model change without its migration fails here."""

from __future__ import annotations

import copy

from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from taxportal.dev_tortoise import TORTOISE_ORM


async def test_models_and_migrations_agree():
    EXECUTOR_CACHE.clear()
    config = copy.deepcopy(TORTOISE_ORM)
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    pending = [f"{w.app_label}.{w.name}" for w in writers]
    assert not pending, f"models changed without a migration: makemigrations ({pending})"
