"""The hook implementations: the settings section and the "notify_email" notifier."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from taxportal.api import (
    BackendOffer,
    DeliveryReceipt,
    OutgoingMessage,
    PluginSettings,
    hookimpl,
)
from taxportal_notify_email.message import build_email
from taxportal_notify_email.outbox import Outbox
from taxportal_notify_email.settings import SECTION, EmailSettings
from taxportal_notify_email.smtp import SmtpRelay

if TYPE_CHECKING:
    from taxportal.api import AppConfig

log = logging.getLogger(__name__)
NAME = "notify_email"


@hookimpl
def taxportal_settings_model() -> PluginSettings:
    return PluginSettings(section=SECTION, model=EmailSettings)


@hookimpl
def taxportal_notifiers(config: AppConfig) -> list[BackendOffer]:
    # built only when configuration picks it for email
    return [
        BackendOffer(
            NAME,
            lambda: EmailNotifier(config.plugin_settings(SECTION), config.data_dir),
            channel="email",
            description="email over SMTP, or into an outbox folder",
        )
    ]


class EmailNotifier:
    """Builds the email, then hands it to the outbox or to the SMTP server."""

    name = NAME
    channel = "email"

    def __init__(self, settings: EmailSettings, data_dir: Path) -> None:
        self.settings = settings
        self.transport: Outbox | SmtpRelay = (
            SmtpRelay(settings)
            if settings.mode == "smtp"
            else Outbox(data_dir / "outbox" / "email")
        )

    async def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        mail = build_email(message, self.settings)
        reference = await self.transport.deliver(mail)
        # purpose and reference only: never the recipient, the content or a secret
        log.info(
            "email %s handed off (%s): %s",
            message.purpose or "message",
            self.settings.mode,
            reference,
        )
        return DeliveryReceipt(channel=self.channel, notifier=self.name, reference=reference)
