"""Plugins come from entry points, are enabled by configuration; misconfiguration stops start-up."""

from __future__ import annotations

import sys

import pytest

from taxportal.config import load_config
from taxportal.hookspecs import hookimpl
from taxportal.plugins import PluginError, Plugins, build_plugin_manager


def config_with(tmp_path, **env):  # type: ignore[no-untyped-def]
    values = {"TAXPORTAL_SERVER__DATA_DIR": str(tmp_path)}
    values.update(env)
    return load_config(None, env=values)


def test_enabling_a_plugin_that_is_not_installed_stops_start_up(tmp_path):
    config = config_with(tmp_path, TAXPORTAL_PLUGINS__ENABLED='["notify_email", "notify_fax"]')
    with pytest.raises(PluginError) as error:
        build_plugin_manager(config)
    assert "notify_fax" in str(error.value) and "pip install taxportal-notify-fax" in str(
        error.value
    )


def test_disabled_plugins_are_never_imported(tmp_path):
    sys.modules.pop("taxportal_notify_sms.plugin", None)
    config = config_with(tmp_path, TAXPORTAL_PLUGINS__ENABLED='["notify_email"]')
    pm = build_plugin_manager(config)
    assert "taxportal_notify_sms.plugin" not in sys.modules
    assert pm.is_blocked("notify_sms")
    assert pm.get_plugin("notify_email") is not None


def test_builtin_identity_matcher_is_on_by_default_and_can_be_disabled(tmp_path):
    pm = build_plugin_manager(config_with(tmp_path, TAXPORTAL_PLUGINS__ENABLED="[]"))
    assert pm.get_plugin("identity_match") is not None
    pm = build_plugin_manager(
        config_with(
            tmp_path,
            TAXPORTAL_PLUGINS__ENABLED="[]",
            TAXPORTAL_PLUGINS__DISABLED='["identity_match"]',
        )
    )
    assert pm.get_plugin("identity_match") is None


class SecondEmail:
    name = "acme_mail"
    channel = "email"

    async def send(self, message):  # type: ignore[no-untyped-def]
        raise AssertionError("not called")


class SecondEmailPlugin:
    @hookimpl
    def taxportal_notifiers(self, config):  # type: ignore[no-untyped-def]
        return [SecondEmail()]


async def test_two_plugins_claiming_one_channel_stop_start_up_until_one_is_chosen(tmp_path):
    config = config_with(tmp_path, TAXPORTAL_PLUGINS__ENABLED='["notify_email"]')
    plugins = Plugins(build_plugin_manager(config, [SecondEmailPlugin()]), config)
    plugins.validate_settings()
    with pytest.raises(PluginError, match="several plugins claim this role"):
        await plugins.resolve_backends()

    chosen = config_with(
        tmp_path, TAXPORTAL_PLUGINS__ENABLED='["notify_email"]', TAXPORTAL_NOTIFY__EMAIL="acme_mail"
    )
    plugins = Plugins(build_plugin_manager(chosen, [SecondEmailPlugin()]), chosen)
    await plugins.resolve_backends()
    assert plugins.notifiers["email"].name == "acme_mail"


async def test_naming_a_backend_nobody_provides_stops_start_up(tmp_path):
    config = config_with(
        tmp_path,
        TAXPORTAL_PLUGINS__ENABLED='["notify_email"]',
        TAXPORTAL_STORAGE__BACKEND="storage_ftp",
    )
    plugins = Plugins(build_plugin_manager(config), config)
    with pytest.raises(PluginError, match=r"storage_ftp.*no enabled plugin provides it"):
        await plugins.resolve_backends()


def test_a_bad_plugin_setting_names_the_plugin_section(tmp_path):
    from taxportal.config import ConfigError

    config = config_with(tmp_path, TAXPORTAL_NOTIFY_EMAIL__MODE="pigeon")
    plugins = Plugins(build_plugin_manager(config), config)
    with pytest.raises(ConfigError, match=r"\[notify_email\] mode"):
        plugins.validate_settings()


def test_the_plugins_command_lists_installed_enabled_versions_and_hooks(
    tmp_path, capsys, monkeypatch
):
    from taxportal.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TAXPORTAL_PLUGINS__ENABLED", '["notify_email"]')
    assert main(["plugins", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "yes" in lines["notify_email"] and "taxportal_notifiers" in lines["notify_email"]
    assert " no " in lines["notify_sms"]
    assert "taxportal_verify_registration" in lines["identity_match"]


class LifecycleStorage:
    name = "lifecycle_store"

    def __init__(self) -> None:
        self.events: list[str] = []

    async def start(self) -> None:
        self.events.append("start")

    async def close(self) -> None:
        self.events.append("close")


class LifecyclePlugin:
    def __init__(self) -> None:
        self.backend = LifecycleStorage()

    @hookimpl
    def taxportal_storage_backends(self, config):  # type: ignore[no-untyped-def]
        return [self.backend]


async def test_backends_are_started_before_serving_and_closed_after(make_config, database):
    from taxportal.runtime import build_core, started
    from tests.support import fast_passwords, migrate

    plugin = LifecyclePlugin()
    config = make_config(database, TAXPORTAL_STORAGE__BACKEND="lifecycle_store")
    await migrate(config, (plugin,))
    async with started(build_core(config, (plugin,), fast_passwords())) as core:
        assert core.plugins.storage is plugin.backend
        assert plugin.backend.events == ["start"]
    assert plugin.backend.events == ["start", "close"]
