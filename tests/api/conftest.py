"""An API caller: a signed-in admin's client plus a bearer token of that admin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from taxportal.models import StaffUser
from taxportal.services.accounts import staff as staff_service
from tests.support import ADMIN_EMAIL

LAST_YEAR = dt.date.today().year - 1


@dataclass
class Api:
    client: TestClient
    token: str
    user: StaffUser

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """(status, JSON body, raw text) of one request with the token."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = await self.client.request(method, path, json=body, headers=headers, **kwargs)
        text = await response.text()
        return response.status, (await response.json() if text else None), text


@pytest.fixture
async def api(staff_client: TestClient) -> Api:
    user = await StaffUser.get(email=ADMIN_EMAIL)
    return Api(staff_client, await staff_service.issue_api_token(user, "tests"), user)


def a_return(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "tax_year": LAST_YEAR,
        "return_type": "1040",
        "efile_status": "Accepted",
        "first_name": "Angela",
        "last_name": "Evans",
        "ssn": "400-12-3456",
        "primary_email": "angela@example.com",
        "mobile_phone": "(706) 555-0101",
        "address": "11 S Broad St",
        "city": "Evans",
        "state": "GA",
        "zip_code": "30809",
        "spouse_first_name": "Carl",
        "spouse_last_name": "Evans",
        "spouse_ssn": "400-65-4321",
        "language": "en",
    }
    values.update(overrides)
    return values
