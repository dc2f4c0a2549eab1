"""A joint return ready to sign (tests/signing_step) with its preparer signed in to the
console on the same app, and helpers for the preparer's side of signing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from taxportal.models import PreparerDocument
from taxportal.services.signing import sign
from tests.signing_identity.conftest import PREPARER
from tests.signing_pdf.conftest import firm_keys, pkcs12_path  # noqa: F401 (fixtures)
from tests.signing_step.conftest import Ready, ready_portal, signing_client  # noqa: F401
from tests.support import csrf_from, sign_in

PREPARER_PASSWORD = "preparer password 12345"
UA = "Mozilla/5.0 (pytest) Signer/1.0"


@dataclass
class Console:
    """The signing portal (``r``) and the preparer's console client on the same app."""

    r: Ready
    staff: TestClient

    @property
    def core(self) -> Any:
        return self.r.core

    def manager(self) -> str:
        return f"/staff/returns/{self.r.return_id}/documents"

    def document(self, document_id: int) -> str:
        return f"{self.manager()}/{document_id}"


@pytest.fixture
async def console(signing_client: Any, client_for: Any) -> Any:  # noqa: F811
    """Factory: a ``Console`` (extra settings as TAXPORTAL_* values)."""

    async def make(**env: str) -> Console:
        r = await ready_portal(await signing_client(**env))
        staff = await client_for(r.client.app)
        await sign_in(staff, PREPARER, PREPARER_PASSWORD)
        return Console(r, staff)

    return make


async def signs(r: Ready, document_id: int, role: str) -> sign.Signed:
    return await sign.sign(r.core, r.principal, document_id, role, ip="203.0.113.9", user_agent=UA)


async def press_remind(c: Console, document: PreparerDocument, role: str) -> Any:
    token = await csrf_from(c.staff, c.manager())
    return await c.staff.post(
        f"{c.document(document.id)}/remind",
        data={"csrf_token": token, "role": role},
        allow_redirects=False,
    )
