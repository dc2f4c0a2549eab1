"""The ``[notify_email]`` configuration section."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FilePath,
    SecretStr,
    ValidationInfo,
    field_validator,
)

SECTION = "notify_email"
PASSWORD_ENV = "TAXPORTAL_NOTIFY_EMAIL__PASSWORD"  # noqa: S105  # a variable name, not a secret


class EmailSettings(BaseModel):
    """How email leaves the portal: written to an outbox folder, or sent over SMTP."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["outbox", "smtp"] = "outbox"
    from_address: str = "portal@localhost"
    from_name: str = ""  # empty: the firm name of each message
    smtp_host: str = Field("", validate_default=True)
    smtp_port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = Field(None, validate_default=True)  # environment only
    timeout: float = Field(15, gt=0, le=600)
    ca_file: FilePath | None = None  # extra CA certificates, e.g. for a self-signed server

    @field_validator("from_address")
    @classmethod
    def _one_address(cls, value: str) -> str:
        local, at, domain = value.strip().rpartition("@")
        if not at or not local or not domain or any(c.isspace() for c in value.strip()):
            raise ValueError("must be a plain address such as portal@example.com")
        return value.strip()

    @field_validator("smtp_host")
    @classmethod
    def _host_for_smtp(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("mode") == "smtp" and not value.strip():
            raise ValueError('required when mode = "smtp"')
        return value.strip()

    @field_validator("password")
    @classmethod
    def _password_with_username(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if info.data.get("mode") == "smtp" and info.data.get("username") and value is None:
            raise ValueError(f"username is set but no password: set {PASSWORD_ENV}")
        return value
