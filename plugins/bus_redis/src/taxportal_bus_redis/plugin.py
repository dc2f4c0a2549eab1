"""The hook implementations: the settings section and the "redis" bus backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from taxportal.api import BusBackend, PluginSettings, hookimpl
from taxportal_bus_redis.backend import RedisBus
from taxportal_bus_redis.settings import SECTION, RedisBusSettings

if TYPE_CHECKING:
    from taxportal.api import AppConfig


@hookimpl
def taxportal_settings_model() -> PluginSettings:
    return PluginSettings(section=SECTION, model=RedisBusSettings)


@hookimpl
def taxportal_bus_backends(config: AppConfig) -> list[BusBackend]:
    settings: RedisBusSettings = config.plugin_settings(SECTION)
    return [RedisBus(settings.url, settings.channel)]
