"""Typed settings: a TOML file, overridden by TAXPORTAL_<SECTION>__<FIELD> variables."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from taxportal import file_types

ENV_PREFIX = "TAXPORTAL_"
DEFAULT_CONFIG_FILE = "taxportal.toml"
# on unless [plugins] enabled says otherwise; one not installed is skipped (a core-only install)
DEFAULT_PLUGINS = ["notify_email", "notify_sms", "storage_local", "signing_pdf", "chat"]


class ConfigError(Exception):
    """A configuration problem, told in one line that says what to change."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    data_dir: Path = Path("taxportal-data")
    base_url: str = ""  # public URL used in links; defaults to http://host:port
    behind_tls_proxy: bool = False
    log_format: Literal["text", "json"] = "text"  # json: one object a line, for collectors


class FirmSettings(_Section):
    name: str = "Your Tax Firm"
    phone: str = ""  # shown to taxpayers who need help (e.g. an expired link)
    email: str = ""


class DatabaseSettings(_Section):
    url: str = ""  # empty: SQLite file in the data directory


class PluginsSettings(_Section):
    enabled: list[str] = Field(default_factory=lambda: list(DEFAULT_PLUGINS))
    disabled: list[str] = Field(default_factory=list)


class NotifySettings(_Section):
    model_config = ConfigDict(extra="allow")  # one key per channel: email = "notify_email"


class StorageSettings(_Section):
    backend: str = ""


class BusSettings(_Section):
    backend: str = ""  # empty: "postgres" on PostgreSQL, "local" on SQLite
    poll_ms: int = Field(default=200, ge=10, le=60_000)  # the "poll" backend's interval


class SigningSettings(_Section):
    signer: str = ""
    # failed identity checks at signing per signer; then that signer signs on paper
    identity_attempts: int = Field(3, ge=1, le=10)
    # how long a passed identity check lets the signer sign (the sign step, the drawing)
    identity_valid_minutes: float = Field(15, gt=0, le=24 * 60)
    # a document with a signed copy is kept this many years after the return's due date
    # (or after its signing, if later): never fewer than the IRS's 3 for Form 8879
    retention_years: int = Field(3, ge=3, le=100)
    # days a sent document waits for a signer before the automatic reminder (and between
    # reminders); 0 turns the automatic reminder off (the console's Remind still works)
    reminder_days: float = Field(3, ge=0, le=365)
    # how long a Sign holds its document: longer than any seal with a slow time-stamp
    # server; a signing process killed meanwhile blocks the next Sign this long at most
    lease_seconds: float = Field(180, ge=1, le=3600)


class InvitationSettings(_Section):
    ttl_days: float = Field(7, gt=0, le=90)


class SecuritySettings(_Section):
    encryption_key: SecretStr | None = None  # base64, 32 bytes; env only


class MetricsSettings(_Section):
    """``/metrics`` for Prometheus: off until a token is set (env only), then it answers
    only a request bearing it."""

    token: SecretStr | None = None  # TAXPORTAL_METRICS__TOKEN; env only


class SessionSettings(_Section):
    idle_minutes: float = Field(30, gt=0, le=24 * 60)
    absolute_hours: float = Field(12, gt=0, le=24 * 30)


class AccountSettings(_Section):
    """Taxpayer accounts: password policy, codes, lockouts, remembered devices."""

    password_policy: Literal["composition", "length"] = "composition"  # noqa: S105
    registration_attempts: int = Field(5, ge=1, le=100)  # then the invitation is locked
    code_minutes: float = Field(10, gt=0, le=60)
    code_attempts: int = Field(5, ge=1, le=20)  # wrong codes, then locked
    code_resend_seconds: int = Field(60, ge=0, le=3600)
    remember_device_days: float = Field(30, ge=0, le=365)
    sign_in_attempts: int = Field(10, ge=3, le=100)  # per account, then a 15-minute lock
    lock_minutes: float = Field(15, gt=0, le=24 * 60)


class ThrottleSettings(_Section):
    """Attempts per client address in a 15-minute window, per action."""

    per_address: int = Field(30, ge=1, le=10_000)
    window_minutes: float = Field(15, gt=0, le=24 * 60)


UPLOAD_TYPES = ["pdf", "jpeg", "png", "heic", "tiff"]  # judged by content; "heic" covers HEIF


class UploadSettings(_Section):
    """ "My Files" uploads: size caps (enforced while streaming) and the accepted types."""

    max_file_mb: float = Field(25, gt=0, le=10_000)
    max_portal_mb: float = Field(500, gt=0, le=1_000_000)
    allowed_types: list[str] = Field(default_factory=lambda: list(UPLOAD_TYPES))

    @field_validator("allowed_types")
    @classmethod
    def _known_types(cls, written: list[str]) -> list[str]:
        """Each type by its name or MIME type; an unknown one would silently refuse files."""
        kinds = []
        for name in written:
            kind = file_types.upload_kind(name)
            if kind is None:
                known = ", ".join(sorted([*file_types.UPLOAD_KINDS, *file_types.ALIASES]))
                raise ValueError(f"unknown file type {name!r}: use {known} (or a MIME type)")
            kinds.append(kind)
        if not kinds:
            raise ValueError("list at least one file type, or taxpayers cannot upload anything")
        return kinds


class JobSettings(_Section):
    """The job worker each server process runs (taxportal/jobs)."""

    worker: bool = True
    poll_seconds: float = Field(2, gt=0, le=600)
    lease_seconds: float = Field(300, ge=5, le=24 * 3600)


class CoreSettings(_Section):
    model_config = ConfigDict(extra="ignore")  # plugin sections are checked separately

    server: ServerSettings = Field(default_factory=ServerSettings)
    firm: FirmSettings = Field(default_factory=FirmSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    plugins: PluginsSettings = Field(default_factory=PluginsSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    signing: SigningSettings = Field(default_factory=SigningSettings)
    bus: BusSettings = Field(default_factory=BusSettings)
    invitations: InvitationSettings = Field(default_factory=InvitationSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    sessions: SessionSettings = Field(default_factory=SessionSettings)
    accounts: AccountSettings = Field(default_factory=AccountSettings)
    throttle: ThrottleSettings = Field(default_factory=ThrottleSettings)
    uploads: UploadSettings = Field(default_factory=UploadSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)


CORE_SECTIONS = frozenset(CoreSettings.model_fields)


class AppConfig:
    """The validated configuration: the core's sections plus each plugin's."""

    def __init__(
        self,
        core: CoreSettings,
        raw: dict[str, Any],
        file_raw: dict[str, Any],
        env: dict[str, str],
        source: str,
    ) -> None:
        self.core = core
        self.raw = raw
        self.file_raw = file_raw  # kept apart to tell values written in the file from env ones
        self.env = env  # read again for each plugin's section, with its model
        self.source = source
        self._plugin_settings: dict[str, BaseModel] = {}

    @property
    def data_dir(self) -> Path:
        return self.core.server.data_dir

    @property
    def database_url(self) -> str:
        url = self.core.database.url
        return url or f"sqlite://{self.data_dir / 'taxportal.sqlite3'}"

    @property
    def base_url(self) -> str:
        server = self.core.server
        return (server.base_url or f"http://{server.host}:{server.port}").rstrip("/")

    def plugin_settings(self, section: str) -> Any:
        """The validated settings object of a plugin section."""
        return self._plugin_settings[section]

    def validate_plugin_section(self, section: str, model: type[BaseModel]) -> BaseModel:
        _refuse_secrets_in_file(model, self.file_raw.get(section, {}), self.source, section)
        from taxportal.config_env import env_values  # pydantic-settings: not for --help

        env = env_values({section: model}, self.env)
        values = _merge(self.file_raw, env).get(section, {})
        settings = _validate(model, values, self.source, section)
        self._plugin_settings[section] = settings
        return settings


def load_config(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> AppConfig:
    """Read the TOML file (if any), apply environment and explicit overrides, validate."""
    # only ours, as a dict: the config is pickled for `serve --workers`, and keeps no other secret
    env = {k: v for k, v in (os.environ if env is None else env).items() if _ours(k)}
    explicit = path is not None
    file_path = Path(path) if explicit else Path(DEFAULT_CONFIG_FILE)
    file_raw: dict[str, Any] = {}
    source = str(file_path) if file_path.exists() else "(defaults)"
    if file_path.exists():
        try:
            file_raw = tomllib.loads(file_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file_path}: not valid TOML: {exc}") from None
    elif explicit:
        raise ConfigError(f"{file_path}: no such configuration file")
    for section, value in file_raw.items():
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: '{section}' must be a [section], not a value")

    sections = {name: field.annotation for name, field in CoreSettings.model_fields.items()}
    from taxportal.config_env import env_values  # pydantic-settings: not for --help

    raw = _merge(file_raw, env_values(sections, env))
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})

    _refuse_secrets_in_file(SecuritySettings, file_raw.get("security", {}), source, "security")
    _refuse_secrets_in_file(MetricsSettings, file_raw.get("metrics", {}), source, "metrics")
    core = _validate(CoreSettings, raw, source, None)
    return AppConfig(core, raw, file_raw, env, source)


def _ours(name: str) -> bool:
    return name.upper().startswith(ENV_PREFIX)


def _is_secret(field: Any) -> bool:
    return "SecretStr" in str(field.annotation)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for section, values in extra.items():
        merged.setdefault(section, {}).update(values)
    return merged


def _validate(model: type[BaseModel], values: Any, source: str, section: str | None) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(p) for p in error["loc"]]
        if section is None and loc:
            where = f"[{loc[0]}] {'.'.join(loc[1:]) or '(section)'}"
        else:
            where = f"[{section}] {'.'.join(loc) or '(section)'}"
        raise ConfigError(f"{source} {where}: {error['msg']}") from None


def _refuse_secrets_in_file(
    model: type[BaseModel], file_values: dict[str, Any], source: str, section: str
) -> None:
    for name, field in model.model_fields.items():
        if _is_secret(field) and name in file_values:
            env_name = f"{ENV_PREFIX}{section.upper()}__{name.upper()}"
            raise ConfigError(
                f"{source} [{section}] {name}: secrets may not be written in the file; "
                f"set {env_name} in the environment instead"
            )


def default_channel_choice(config: AppConfig, channel: str) -> str | None:
    """The notifier name configured for a channel, if any."""
    value = (config.core.notify.model_extra or {}).get(channel)
    return str(value) if value else None
