"""The signing step's joint return (tests/signing_step), plus an API token of its preparer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from taxportal.models import StaffUser
from taxportal.services.accounts import staff as staff_service
from taxportal.services.signing import sign
from tests.signing_step.conftest import (  # noqa: F401 (fixtures)
    Ready,
    firm_keys,
    pkcs12_path,
    ready_portal,
    signing_client,
)


@dataclass
class Api:
    r: Ready
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def path(self, tail: str = "") -> str:
        return f"/api/v1/returns/{self.r.return_id}/documents{tail}"

    async def json(self, method: str, path: str) -> tuple[int, Any]:
        response = await self.r.client.request(method, path, headers=self.headers)
        return response.status, await response.json()

    async def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        response = await self.r.client.request(method, path, headers=self.headers)
        return response.status, dict(response.headers), await response.read()


async def api_of(r: Ready) -> Api:
    preparer = await StaffUser.get(id=r.staff.id)
    return Api(r, await staff_service.issue_api_token(preparer, "tests"))


async def signs(r: Ready, document_id: int, role: str) -> sign.Signed:
    return await sign.sign(
        r.core, r.principal, document_id, role, ip="203.0.113.9", user_agent="UA"
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
