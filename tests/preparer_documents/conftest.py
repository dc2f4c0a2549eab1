"""A console (signed-in admin) and a taxpayer (registered, verified) on one app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from taxportal.models import Portal, TaxReturn
from tests.accounts.journey import registered_and_verified


@dataclass
class Firm:
    staff: TestClient
    taxpayer: TestClient
    return_id: int
    portal_id: int

    @property
    def core(self) -> Any:
        from taxportal.web.keys import CORE

        return self.staff.app[CORE]

    def stored(self) -> list[Path]:
        root = self.core.config.data_dir / "files"
        return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def firm_with_taxpayer(staff: TestClient, client_for: Any, language: str = "en") -> Firm:
    taxpayer = await client_for(staff.app)
    await registered_and_verified(taxpayer, language)
    tax_return = await TaxReturn.get(last_name="Núñez")
    portal = await Portal.get(tax_return_id=tax_return.id)
    return Firm(staff, taxpayer, tax_return.id, portal.id)


@pytest.fixture
async def firm(staff_client: TestClient, client_for: Any) -> Firm:
    return await firm_with_taxpayer(staff_client, client_for)
