"""The [notify_sms] section: defaults, secrets only from the environment, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from taxportal.config import ConfigError

from .conftest import BuildPlugins

KEY_ENV = "TAXPORTAL_NOTIFY_SMS__API_KEY"
SECRET_ENV = "TAXPORTAL_NOTIFY_SMS__API_SECRET"


async def test_defaults_offer_the_sms_channel(build_plugins: BuildPlugins):
    plugins = await build_plugins()

    assert plugins.channels() == ["sms"]
    assert plugins.notifiers["sms"].name == "notify_sms"
    settings = plugins.config.plugin_settings("notify_sms")
    assert (settings.mode, settings.sender, settings.timeout) == ("outbox", "TaxPortal", 10)
    assert settings.default_region == "US"
    assert settings.rest_host == "rest.nexmo.com"


@pytest.mark.parametrize("field", ["api_key", "api_secret"])
async def test_secrets_in_the_file_are_refused(
    field: str, tmp_path: Path, build_plugins: BuildPlugins
):
    path = tmp_path / "taxportal.toml"
    path.write_text(f'[notify_sms]\nmode = "vonage"\n{field} = "s3cr3t-in-file"\n')
    env = {KEY_ENV: "k", SECRET_ENV: "s"}

    with pytest.raises(ConfigError) as caught:
        await build_plugins(env, path=path)

    message = str(caught.value)
    assert f"TAXPORTAL_NOTIFY_SMS__{field.upper()}" in message
    assert "s3cr3t-in-file" not in message


async def test_vonage_mode_without_credentials_names_both_variables(build_plugins: BuildPlugins):
    with pytest.raises(ConfigError) as caught:
        await build_plugins({"TAXPORTAL_NOTIFY_SMS__MODE": "vonage"})

    message = str(caught.value)
    assert "[notify_sms]" in message
    assert 'mode = "vonage" needs the Vonage API key and secret' in message
    assert f"set {KEY_ENV} and {SECRET_ENV} in the environment" in message


async def test_vonage_mode_without_secret_names_it(build_plugins: BuildPlugins):
    env = {"TAXPORTAL_NOTIFY_SMS__MODE": "vonage", KEY_ENV: "key-123"}

    with pytest.raises(ConfigError, match=f"set {SECRET_ENV} in the environment") as caught:
        await build_plugins(env)

    assert "key-123" not in str(caught.value)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TAXPORTAL_NOTIFY_SMS__MODE": "twilio"}, "mode"),
        ({"TAXPORTAL_NOTIFY_SMS__COLOUR": "blue"}, "colour"),
        ({"TAXPORTAL_NOTIFY_SMS__SENDER": "Smith and Sons Tax"}, "at most 11 letters"),
        ({"TAXPORTAL_NOTIFY_SMS__REST_HOST": "https://rest.nexmo.com"}, "no https://"),
        ({"TAXPORTAL_NOTIFY_SMS__TIMEOUT": "0"}, "timeout"),
    ],
)
async def test_wrong_values_stop_the_start_up(
    env: dict[str, str], expected: str, build_plugins: BuildPlugins
):
    with pytest.raises(ConfigError, match=expected):
        await build_plugins(env)
