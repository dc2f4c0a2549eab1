"""notify_email keeps the notifier contract, in SMTP mode against a real aiosmtpd server."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from taxportal.contracts import Notifier
from taxportal.testing.notifier_contract import Delivery, NotifierContract

from .conftest import MakePlugins, SmtpServer


class TestEmailNotifier(NotifierContract):
    @pytest.fixture
    async def notifier(self, smtp_server: SmtpServer, make_plugins: MakePlugins) -> Notifier:
        settings = {"mode": "smtp", "smtp_host": smtp_server.host, "smtp_port": smtp_server.port}
        plugins = await make_plugins({**settings, "security": "none"})
        return plugins.notifiers["email"]

    @pytest.fixture
    async def unreachable_notifier(self, make_plugins: MakePlugins, unused_port: int) -> Notifier:
        settings = {"mode": "smtp", "smtp_host": "127.0.0.1", "smtp_port": unused_port}
        plugins = await make_plugins({**settings, "security": "none"})
        return plugins.notifiers["email"]

    @pytest.fixture
    def address(self) -> str:
        return "ana.nunez@example.com"

    @pytest.fixture
    def impossible_address(self) -> str:
        return "ana.nunez.example.com"

    @pytest.fixture
    def delivered(self, smtp_server: SmtpServer) -> Callable[[], list[Delivery]]:
        def received() -> list[Delivery]:
            return [
                Delivery(to, got.message.get_body(("plain",)).get_content().strip())
                for got in smtp_server.received
                for to in got.rcpt_tos
            ]

        return received
