"""notify_sms keeps the notifier contract, in Vonage mode against the local TLS fake."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from taxportal.contracts import Notifier
from taxportal.testing.notifier_contract import Delivery, NotifierContract

from .conftest import BuildPlugins
from .fake_vonage import FakeVonage


class TestSmsNotifier(NotifierContract):
    @pytest.fixture
    async def notifier(self, fake_vonage: FakeVonage, build_plugins: BuildPlugins) -> Notifier:
        return (await build_plugins(fake_vonage.config_env())).notifiers["sms"]

    @pytest.fixture
    async def unreachable_notifier(
        self, fake_vonage: FakeVonage, build_plugins: BuildPlugins
    ) -> Notifier:
        with socket.socket() as sock:  # a port nothing listens on: Vonage down
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**fake_vonage.config_env(), "TAXPORTAL_NOTIFY_SMS__REST_HOST": f"127.0.0.1:{port}"}
        return (await build_plugins(env)).notifiers["sms"]

    @pytest.fixture
    def address(self) -> str:
        return "+17065550197"

    @pytest.fixture
    def impossible_address(self) -> str:
        return "123"

    @pytest.fixture
    def delivered(self, fake_vonage: FakeVonage) -> Callable[[], list[Delivery]]:
        def received() -> list[Delivery]:
            return [Delivery("+" + sms.to, sms.text) for sms in fake_vonage.accepted]

        return received
