"""The signing step's joint return (tests/signing_step), plus an API token of its preparer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from tortoise import connections

from taxportal import sql as sql_module
from taxportal.models import Portal, StaffUser
from taxportal.services.accounts import staff as staff_service
from taxportal.services.documents.access import Principal
from taxportal.services.signing import sign
from tests.signing_identity.conftest import signers_on
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


async def ready_in(client: Any, **overrides: str) -> Ready:
    """``ready_portal`` with the return's fields overridden (``language="es"``)."""
    s = await signers_on(client, **overrides)
    portal = await Portal.get(id=s.portal_id)
    return Ready(s, Principal("staff", s.preparer_id, "127.0.0.1"), portal.tax_return_id)  # type: ignore[attr-defined]


class Statements:
    """Counts the statements the app sends to the database (every read through the client,
    the bounded reader turned off), to hold a page's count fixed whatever its rows."""

    NAMES = ("execute_insert", "execute_many", "execute_query", "execute_query_dict")

    def __init__(self, monkeypatch: Any) -> None:
        self.count = 0
        client = type(connections.get("default"))
        monkeypatch.setattr(sql_module, "_reader", lambda conn: None)
        for name in self.NAMES:
            monkeypatch.setattr(client, name, self._counted(getattr(client, name)))

    def _counted(self, method: Any) -> Any:
        async def counted(client: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await method(client, *args, **kwargs)

        return counted
