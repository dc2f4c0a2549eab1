"""A console admin and a registered, verified taxpayer whose portal the admin created."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient

from taxportal.models import Portal, StaffUser, TaxpayerAccount
from taxportal.services.documents.access import Principal
from tests.accounts.journey import (
    code_in,
    enter_code,
    invited,
    newest_sms_text,
    register,
    send_code,
)
from tests.preparer_documents.conftest import Firm, firm_with_taxpayer
from tests.support import ADMIN_EMAIL

PAGE = "/portal/signing/consent"


async def _created_by_admin(firm: Firm) -> Firm:
    # the journey's invitation is sent by a script ("test"): make the admin its creator
    admin = await StaffUser.get(email=ADMIN_EMAIL)
    await Portal.filter(id=firm.portal_id).update(created_by_id=admin.id)
    return firm


@pytest.fixture
async def firm(staff_client: TestClient, client_for: Any) -> Firm:
    return await _created_by_admin(await firm_with_taxpayer(staff_client, client_for))


@pytest.fixture
async def spanish_firm(staff_client: TestClient, client_for: Any) -> Firm:
    return await _created_by_admin(await firm_with_taxpayer(staff_client, client_for, "es"))


async def principal_of(firm: Firm) -> Principal:
    """The taxpayer as the pages see them (the service's caller)."""
    account = await TaxpayerAccount.get(portal_id=firm.portal_id)
    return Principal("taxpayer", account.id, "203.0.113.7", portal_id=firm.portal_id)


async def second_taxpayer(firm: Firm, aiohttp_client: Any) -> tuple[TestClient, int]:
    """Another taxpayer (Ana, her own return and portal) on the same server, own cookies."""
    other = await aiohttp_client(firm.taxpayer.server, cookie_jar=CookieJar(unsafe=True))
    link = await invited(
        other,
        first_name="Ana",
        last_name="Bell",
        ssn="400-12-3498",
        primary_email="ana@example.com",
        mobile_phone="(706) 555-0198",
    )
    fields = {"username": "ana", "email": "ana@example.com", "last_name": "bell"}
    assert (await register(other, link, ssn_last4="3498", **fields)).status == 303
    assert (await send_code(other)).status == 303
    assert (await enter_code(other, code_in(newest_sms_text(other)))).status == 303
    portal = await Portal.get(tax_return__last_name="Bell")
    return other, portal.id
