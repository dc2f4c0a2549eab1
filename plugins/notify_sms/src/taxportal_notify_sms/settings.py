"""The [notify_sms] section: where text messages go and how."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

SECTION = "notify_sms"
ENV_API_KEY = "TAXPORTAL_NOTIFY_SMS__API_KEY"
ENV_API_SECRET = "TAXPORTAL_NOTIFY_SMS__API_SECRET"  # noqa: S105  # a name, not a secret
VONAGE_REST_HOST = "rest.nexmo.com"

_SENDER_NUMBER = re.compile(r"\+?[0-9]{5,15}")
_SENDER_NAME = re.compile(r"[A-Za-z0-9 ]{1,11}")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


class SmsSettings(BaseModel):
    """Settings of the SMS notifier; api_key and api_secret come from the environment only."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["outbox", "vonage"] = "outbox"
    sender: str = "TaxPortal"  # the "from": up to 11 letters/digits, or a number
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    rest_host: str = VONAGE_REST_HOST  # host[:port]; the SDK always speaks https
    default_region: str = Field("US", min_length=2, max_length=2)
    timeout: int = Field(10, ge=1, le=120)  # seconds per request to Vonage

    @field_validator("sender")
    @classmethod
    def _check_sender(cls, value: str) -> str:
        text = value.strip()
        if _SENDER_NUMBER.fullmatch(text):
            return text.lstrip("+")  # Vonage wants a number without its '+'
        if _SENDER_NAME.fullmatch(text) and any(c.isalpha() for c in text):
            return text
        raise PydanticCustomError(
            "sender",
            "sender must be a phone number in E.164 form (digits only) "
            "or a name of at most 11 letters, digits and spaces",
        )

    @field_validator("rest_host")
    @classmethod
    def _check_rest_host(cls, value: str) -> str:
        text = value.strip()
        if not _HOST.fullmatch(text):
            raise PydanticCustomError(
                "rest_host",
                "rest_host is a host name with an optional port, such as "
                "'rest.nexmo.com' or '127.0.0.1:8443' (no https:// and no path)",
            )
        return text

    @field_validator("default_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _vonage_needs_credentials(self) -> SmsSettings:
        if self.mode != "vonage":
            return self
        missing = [
            env
            for env, secret in ((ENV_API_KEY, self.api_key), (ENV_API_SECRET, self.api_secret))
            if secret is None or not secret.get_secret_value().strip()
        ]
        if missing:
            raise PydanticCustomError(
                "vonage_credentials",
                'mode = "vonage" needs the Vonage API key and secret: '
                "set {missing} in the environment",
                {"missing": " and ".join(missing)},
            )
        return self
