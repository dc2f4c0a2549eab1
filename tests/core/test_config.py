"""Configuration: TOML file, TAXPORTAL_ environment overrides, clear one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from taxportal.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxportal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_embedded_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(env={})
    assert config.source == "(defaults)"
    assert config.database_url.startswith("sqlite://")
    assert config.core.plugins.enabled == [
        "notify_email",
        "notify_sms",
        "storage_local",
        "signing_pdf",
        "chat",
    ]
    assert config.base_url == "http://127.0.0.1:8080"


def test_environment_overrides_the_file(tmp_path):
    path = write(tmp_path, '[server]\nport = 9000\n[firm]\nname = "From File"\n')
    config = load_config(path, env={"TAXPORTAL_SERVER__PORT": "9100"})
    assert config.core.server.port == 9100
    assert config.core.firm.name == "From File"


def test_a_bad_value_names_the_file_section_and_field(tmp_path):
    path = write(tmp_path, '[server]\nport = "eighty"\n')
    with pytest.raises(ConfigError) as error:
        load_config(path, env={})
    message = str(error.value)
    assert str(path) in message and "[server] port" in message
    assert "\n" not in message


def test_an_unknown_field_is_refused(tmp_path):
    path = write(tmp_path, "[server]\nprot = 9000\n")
    with pytest.raises(ConfigError, match=r"\[server\] prot: Extra inputs are not permitted"):
        load_config(path, env={})


def test_the_encryption_key_may_not_be_written_in_the_file(tmp_path):
    path = write(tmp_path, '[security]\nencryption_key = "abc"\n')
    with pytest.raises(ConfigError, match="TAXPORTAL_SECURITY__ENCRYPTION_KEY"):
        load_config(path, env={})


def test_broken_toml_and_missing_file_are_clear(tmp_path):
    path = write(tmp_path, "[server\nport = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path, env={})
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "missing.toml", env={})


def test_plugin_lists_come_from_json_in_the_environment(tmp_path):
    config = load_config(
        None,
        env={
            "TAXPORTAL_PLUGINS__ENABLED": '["notify_email"]',
            "TAXPORTAL_SERVER__DATA_DIR": str(tmp_path),
        },
    )
    assert config.core.plugins.enabled == ["notify_email"]


def test_environment_values_are_checked_by_section_and_field(tmp_path):
    base = {"TAXPORTAL_SERVER__DATA_DIR": str(tmp_path)}
    for name, value, where in (
        ("TAXPORTAL_PLUGINS__ENABLED", "notify_email", "[plugins] enabled"),  # not JSON
        ("TAXPORTAL_UPLOADS__ALLOWED_TYPES", '["pdf"', "[uploads] allowed_types"),
        ("TAXPORTAL_SERVER__PORT", "eighty", "[server] port"),
        ("TAXPORTAL_SERVER__PROT", "9000", "[server] prot"),
    ):
        with pytest.raises(ConfigError, match=re.escape(f"(defaults) {where}: ")):
            load_config(None, env={**base, name: value})
    text = load_config(None, env={**base, "TAXPORTAL_FIRM__NAME": '["Acme", "Sons"]'})
    assert text.core.firm.name == '["Acme", "Sons"]'  # a text field takes the text as typed


def test_a_secret_that_looks_like_json_is_taken_verbatim(tmp_path):
    from taxportal.plugins import Plugins, build_plugin_manager

    config = load_config(
        None,
        env={
            "TAXPORTAL_NOTIFY_SMS__API_SECRET": "[not-json",
            "TAXPORTAL_NOTIFY_SMS__API_KEY": "{key",
            "TAXPORTAL_SERVER__DATA_DIR": str(tmp_path),
        },
    )
    Plugins(build_plugin_manager(config), config).validate_settings()
    settings = config.plugin_settings("notify_sms")
    assert settings.api_secret.get_secret_value() == "[not-json"
    assert settings.api_key.get_secret_value() == "{key"


def test_upload_types_are_checked_and_written_either_way(tmp_path):
    path = write(tmp_path, '[uploads]\nallowed_types = ["PDF", "jpg", "image/png", "tif"]\n')
    assert load_config(path, env={}).core.uploads.allowed_types == ["pdf", "jpeg", "png", "tiff"]
    path = write(tmp_path, '[uploads]\nallowed_types = ["pdf", "gif"]\n')
    with pytest.raises(ConfigError, match=r"\[uploads\] allowed_types: .*unknown file type 'gif'"):
        load_config(path, env={})
    path = write(tmp_path, "[uploads]\nallowed_types = []\n")
    with pytest.raises(ConfigError, match="at least one file type"):
        load_config(path, env={})


def test_an_sqlite_without_returning_is_refused_with_the_reason(tmp_path, monkeypatch):
    """Every lockout counts in one statement with RETURNING, which SQLite has from 3.35."""
    from taxportal import db

    config = load_config(path=None, env={"TAXPORTAL_SERVER__DATA_DIR": str(tmp_path)})
    monkeypatch.setattr(db.sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(db.sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(ConfigError, match=r"SQLite 3\.35 or newer is needed .*3\.31\.1"):
        db.tortoise_config(config, [])
