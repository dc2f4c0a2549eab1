"""An app with the chat plugin on, taxpayers signed in on their own clients, and the
firm's side as the service sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient

from taxportal.models import TaxpayerAccount
from tests.accounts import journey

PLUGINS = '["notify_email", "notify_sms", "storage_local", "chat"]'
OTHER = {  # a second taxpayer of the same firm, with contacts of their own
    "first_name": "Luis",
    "last_name": "Ortega",
    "ssn": "400-55-1234",
    "primary_email": "luis@example.com",
    "mobile_phone": "(706) 555-0142",
}


@dataclass
class Taxpayer:
    client: TestClient
    portal_id: int
    account_id: int


@pytest.fixture
async def chat_app(build_app: Any, client_for: Any) -> Any:
    """Factory: a client on a fresh app with chat on; ``env`` adds settings."""

    async def make(**env: str) -> TestClient:
        return await client_for(await build_app(TAXPORTAL_PLUGINS__ENABLED=PLUGINS, **env))

    return make


async def another_client(client: TestClient) -> TestClient:
    """A second browser (its own cookies) on the same running app."""
    other = TestClient(client.server, cookie_jar=CookieJar(unsafe=True))
    await other.start_server()
    return other


async def taxpayer_on(client: TestClient, language: str = "en", other: bool = False) -> Taxpayer:
    """Invite, register and verify a taxpayer on ``client`` (Sherry, or Luis with
    ``other``); the client stays signed in."""
    values = OTHER if other else {}
    link = await journey.invited(client, language, **values)
    fields = (
        {
            "username": "luis",
            "email": "luis@example.com",
            "last_name": "ortega",
            "ssn_last4": "1234",
        }
        if other
        else {}
    )
    assert (await journey.register(client, link, **fields)).status == 303
    assert (await journey.send_code(client)).status == 303
    code = journey.code_in(journey.newest_sms_text(client))
    assert (await journey.enter_code(client, code)).status == 303
    username = "luis" if other else "sherry"
    account = await TaxpayerAccount.get(username=username)
    return Taxpayer(client, account.portal_id, account.id)  # type: ignore[attr-defined]
