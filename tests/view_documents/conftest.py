"""A client with a portal and uploads, for the View Documents tests (real app, real storage)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from taxportal.models import Portal, StaffUser, TaxpayerAccount, TaxReturn
from taxportal.services.documents.access import Principal
from taxportal.services.uploads import intake as uploads
from tests.support import ADMIN_EMAIL

PDF = b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 40 + b"%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 900
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x22" * 700


def pdf_of(size: int) -> bytes:
    """A PDF-looking file of ``size`` random bytes (each one different: no duplicates)."""
    return b"%PDF-1.7\n" + os.urandom(size - 9)


async def chunked(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@dataclass
class Seeded:
    tax_return: TaxReturn
    portal: Portal
    account: TaxpayerAccount

    @property
    def taxpayer(self) -> Principal:
        return Principal("taxpayer", self.account.id, "203.0.113.7", portal_id=self.portal.id)

    @property
    def page(self) -> str:
        return f"/staff/returns/{self.tax_return.id}/uploads"

    async def upload(self, core: Any, name: str, data: bytes) -> int:
        result = await uploads.upload(core, self.taxpayer, self.portal.id, name, chunked(data))
        assert result.status == "stored"
        return result.file.id


_numbers = iter(range(1, 10_000))


async def seed_client(
    first: str = "Angela", last: str = "Evans", created_by: StaffUser | None = None
) -> Seeded:
    n = next(_numbers)
    tax_return = await TaxReturn.create(
        tax_year=2025,
        first_name=first,
        last_name=last,
        ssn_encrypted="x",
        ssn_digest=f"digest-{n}",
        ssn_last4="6789",
        primary_email=f"client{n}@example.com",
    )
    portal = await Portal.create(tax_return=tax_return, created_by=created_by)
    account = await TaxpayerAccount.create(
        portal=portal, username=f"client{n}", username_key=f"client{n}", password_hash="x"
    )
    return Seeded(tax_return, portal, account)


@pytest.fixture
def seed(staff_client: TestClient) -> Callable[..., Any]:
    """``await seed()``: a return with a portal made by the signed-in admin, and an account."""

    async def make(first: str = "Angela", last: str = "Evans", **kwargs: Any) -> Seeded:
        kwargs.setdefault("created_by", await StaffUser.get(email=ADMIN_EMAIL))
        return await seed_client(first, last, **kwargs)

    return make
