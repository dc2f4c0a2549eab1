"""The hook implementations: the settings section and the "storage_local" backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from taxportal.api import (
    BackendOffer,
    PluginSettings,
    hookimpl,
)
from taxportal_storage_local.backend import NAME, LocalStorage
from taxportal_storage_local.settings import SECTION, LocalStorageSettings

if TYPE_CHECKING:
    from taxportal.api import AppConfig


@hookimpl
def taxportal_settings_model() -> PluginSettings:
    return PluginSettings(section=SECTION, model=LocalStorageSettings)


@hookimpl
def taxportal_storage_backends(config: AppConfig) -> list[BackendOffer]:
    return [BackendOffer(NAME, lambda: _build(config), description="files on this disk")]


def _build(config: AppConfig) -> LocalStorage:
    settings: LocalStorageSettings = config.plugin_settings(SECTION)
    return LocalStorage(settings.resolve(config.data_dir), settings.stale_minutes)
