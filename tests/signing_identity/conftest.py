"""A joint return with both signers' facts and contacts, a registered portal, its preparer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from taxportal.models import Portal
from taxportal.services.accounts import staff as staff_service
from taxportal.services.documents.access import Principal
from tests.accounts import journey

PREPARER = "preparer@firm.example.com"
FACTS = {
    "birth_date": "03/14/1975",
    "prior_year_agi": "52,340",
    "spouse_first_name": "Luis",
    "spouse_last_name": "Núñez",
    "spouse_email": "luis@example.com",
    "spouse_mobile_phone": "(706) 555-0143",
    "spouse_birth_date": "11/02/1977",
    "spouse_prior_year_agi": "52,340",
}
FAST = {"TAXPORTAL_ACCOUNTS__CODE_RESEND_SECONDS": "0"}


@dataclass
class Signers:
    client: TestClient
    portal_id: int
    principal: Principal
    preparer_id: int

    @property
    def core(self) -> Any:
        return journey.core(self.client)


async def signers_on(client: TestClient, **overrides: str) -> Signers:
    """Registers and verifies the taxpayer of a joint return (facts as given) created by a
    preparer; the client is signed in."""
    core = journey.core(client)
    preparer = await staff_service.add_staff(core, PREPARER, "preparer password 12345")
    values = {**FACTS, **overrides}
    link = await journey.invited(client, **values)
    portal = await Portal.get(invitations__token_hash__isnull=False).order_by("-id").first()
    await Portal.filter(id=portal.id).update(created_by_id=preparer.id)
    assert (await journey.register(client, link)).status == 303
    assert (await journey.send_code(client)).status == 303
    code = journey.code_in(journey.newest_sms_text(client))
    assert (await journey.enter_code(client, code)).status == 303
    from taxportal.models import TaxpayerAccount

    account = await TaxpayerAccount.get(portal_id=portal.id)
    return Signers(
        client, portal.id, Principal("taxpayer", account.id, "127.0.0.1", portal.id), preparer.id
    )


@pytest.fixture
async def app_client(build_app: Any, client_for: Any) -> Any:
    """Factory: a client on a fresh app (outbox notifiers), extra plugins as given."""

    async def make(*plugins: object, **env: str) -> TestClient:
        return await client_for(await build_app(*plugins, **{**FAST, **env}))

    return make
