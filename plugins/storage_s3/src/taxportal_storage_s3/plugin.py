"""The hook implementations: the settings section and the "storage_s3" backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from taxportal.api import (
    BackendOffer,
    PluginSettings,
    hookimpl,
)
from taxportal_storage_s3.backend import NAME, S3Storage
from taxportal_storage_s3.settings import SECTION, S3StorageSettings

if TYPE_CHECKING:
    from taxportal.api import AppConfig


@hookimpl
def taxportal_settings_model() -> PluginSettings:
    return PluginSettings(section=SECTION, model=S3StorageSettings)


@hookimpl
def taxportal_storage_backends(config: AppConfig) -> list[BackendOffer]:
    # the client is built only when configuration picks S3
    return [
        BackendOffer(
            NAME,
            lambda: S3Storage(config.plugin_settings(SECTION)),
            description="objects in an S3-compatible bucket",
        )
    ]
