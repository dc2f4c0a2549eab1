"""Hook implementations: the [notify_sms] settings model and the "sms" notifier."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

from taxportal.api import (
    BackendOffer,
    DeliveryError,
    DeliveryReceipt,
    InvalidAddress,
    InvalidValue,
    OutgoingMessage,
    PluginSettings,
    hookimpl,
    mask_phone,
    normalize_phone,
)
from taxportal_notify_sms.outbox import OutboxWriter
from taxportal_notify_sms.settings import SECTION, SmsSettings

if TYPE_CHECKING:
    from taxportal.api import AppConfig

NAME = "notify_sms"
CHANNEL = "sms"
log = logging.getLogger(__name__)


class Transport(Protocol):
    """Hands one message over, blocking; returns the receipt's reference."""

    def deliver(self, to: str, text: str) -> str: ...


class SmsNotifier:
    """Normalises the number, then runs the blocking transport in a thread."""

    name = NAME
    channel = CHANNEL

    def __init__(self, transport: Transport, mode: str, region: str) -> None:
        self.transport = transport
        self.mode = mode
        self.region = region

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        try:
            to = normalize_phone(message.to, self.region)
        except InvalidValue as exc:
            raise InvalidAddress(f"cannot send a text message: {exc}") from None
        if not message.text.strip():
            raise DeliveryError("the text message is empty")
        reference = await asyncio.to_thread(self.transport.deliver, to, message.text)
        log.info(
            "sms %s to %s handed to %s (%s)",
            message.purpose or "message",
            mask_phone(to),
            self.mode,
            reference,
        )
        return DeliveryReceipt(channel=CHANNEL, notifier=NAME, reference=reference)


@hookimpl
def taxportal_settings_model() -> PluginSettings:
    return PluginSettings(section=SECTION, model=SmsSettings)


@hookimpl
def taxportal_notifiers(config: AppConfig) -> list[BackendOffer]:
    # built (and the Vonage SDK imported) only when configuration picks it for sms
    return [
        BackendOffer(
            NAME,
            lambda: _build(config),
            channel=CHANNEL,
            description="text messages through Vonage, or into an outbox folder",
        )
    ]


def _build(config: AppConfig) -> SmsNotifier:
    settings = _settings(config)
    transport: Transport
    if settings.mode == "vonage":
        # Imported here: the SDK is large, and outbox users never need it.
        from taxportal_notify_sms.vonage_client import VonageSender

        transport = VonageSender(settings)
    else:
        transport = OutboxWriter(config.data_dir / "outbox" / "sms", settings.sender)
    return SmsNotifier(transport, settings.mode, settings.default_region)


def _settings(config: AppConfig) -> SmsSettings:
    try:
        return config.plugin_settings(SECTION)
    except KeyError:  # the core has not validated plugin sections yet
        return config.validate_plugin_section(SECTION, SmsSettings)  # type: ignore[return-value]
