"""The [notify_email] section: checked at start-up, secrets only from the environment."""

from __future__ import annotations

import pytest

from taxportal.config import ConfigError


async def test_channel_is_served_by_this_plugin(make_plugins):
    plugins = await make_plugins()

    assert plugins.channels() == ["email"]
    assert plugins.notifiers["email"].name == "notify_email"


async def test_password_in_file_is_refused(make_plugins):
    toml = '[notify_email]\nmode = "smtp"\nsmtp_host = "mail.example"\npassword = "hunter2-file"\n'

    with pytest.raises(ConfigError) as caught:
        await make_plugins(toml=toml)

    reason = str(caught.value)
    assert "[notify_email] password" in reason
    assert "TAXPORTAL_NOTIFY_EMAIL__PASSWORD" in reason
    assert "hunter2-file" not in reason


async def test_password_from_environment_with_file_settings_logs_in(
    starttls_server, tls_files, smtp_credentials, make_plugins, invitation
):
    toml = (
        "[notify_email]\n"
        'mode = "smtp"\n'
        f'smtp_host = "{starttls_server.host}"\n'
        f"smtp_port = {starttls_server.port}\n"
        'security = "starttls"\n'
        f'username = "{smtp_credentials["username"]}"\n'
        f'ca_file = "{tls_files.ca_file}"\n'
    )
    plugins = await make_plugins(
        toml=toml, TAXPORTAL_NOTIFY_EMAIL__PASSWORD=smtp_credentials["password"]
    )

    await plugins.notify(invitation())

    [got] = starttls_server.received
    assert got.login == smtp_credentials["username"]


@pytest.mark.parametrize(
    ("settings", "toml", "expected"),
    [
        ({"smtp_port": "abc"}, None, "[notify_email] smtp_port: Input should be a valid integer"),
        ({"smtp_port": "70000"}, None, "[notify_email] smtp_port: Input should be less than"),
        (None, '[notify_email]\nmode = "pigeon"\n', "[notify_email] mode: Input should be"),
        (None, '[notify_email]\nsmtp_hots = "x"\n', "[notify_email] smtp_hots: Extra inputs"),
        ({"security": "ssl"}, None, "[notify_email] security: Input should be"),
        (
            {"mode": "smtp"},
            None,
            '[notify_email] smtp_host: Value error, required when mode = "smtp"',
        ),
        ({"from_address": "portal"}, None, "[notify_email] from_address: Value error, must be"),
        ({"timeout": "0"}, None, "[notify_email] timeout: Input should be greater than 0"),
        ({"ca_file": "/nonexistent/ca.pem"}, None, "[notify_email] ca_file: Path does not point"),
        (
            {"mode": "smtp", "smtp_host": "mail.example", "username": "u"},
            None,
            "[notify_email] password: Value error, username is set but no password: "
            "set TAXPORTAL_NOTIFY_EMAIL__PASSWORD",
        ),
    ],
)
async def test_bad_setting_names_section_and_field(make_plugins, settings, toml, expected):
    with pytest.raises(ConfigError) as caught:
        await make_plugins(settings, toml=toml)

    assert expected in str(caught.value)


async def test_mode_pigeon_error_lists_the_choices(make_plugins):
    with pytest.raises(ConfigError) as caught:
        await make_plugins({"mode": "pigeon"})

    assert "[notify_email] mode" in str(caught.value)
    assert "'outbox' or 'smtp'" in str(caught.value)


async def test_ca_file_that_is_not_a_certificate_stops_the_start_up(make_plugins, tmp_path):
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("this is not a certificate")

    with pytest.raises(ConfigError) as caught:
        await make_plugins({"mode": "smtp", "smtp_host": "mail.example", "ca_file": not_pem})

    assert str(caught.value).startswith(f"[notify_email] ca_file: {not_pem} is not a PEM file")
