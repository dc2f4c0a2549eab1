"""A joint return ready to sign: the app with the PDF signer (the firm's PKCS#12), the
taxpayer registered, documents sent, and helpers for each step before Sign."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from taxportal.models import Portal, PreparerDocument, TaxReturn
from taxportal.services.documents import preparer
from taxportal.services.documents import sent as sent_documents
from taxportal.services.documents.access import Principal
from taxportal.services.signing import consent, identity, signatures
from tests.accounts import journey
from tests.signing_identity.conftest import FAST, Signers, signers_on
from tests.signing_pdf.conftest import PASSPHRASE, firm_keys, pkcs12_path  # noqa: F401 (fixtures)
from tests.signing_pdf.drawings import drawn_signature

PLUGINS = '["notify_email", "notify_sms", "storage_local", "signing_pdf"]'
ANSWERS = {
    "taxpayer": {"c0_birth_date": "3/14/1975", "c0_prior_year_agi": "$52,340"},
    "spouse": {"c0_birth_date": "11/2/1977", "c0_prior_year_agi": "52340"},
}
CONTACTS = {"taxpayer": "sherry@example.com", "spouse": "luis@example.com"}


@dataclass
class Ready:
    """A joint return's portal, signed in, with its staff principal for the console side."""

    signers: Signers
    staff: Principal
    return_id: int

    @property
    def core(self) -> Any:
        return self.signers.core

    @property
    def principal(self) -> Principal:
        return self.signers.principal

    @property
    def client(self) -> TestClient:
        return self.signers.client


@pytest.fixture
async def signing_client(
    build_app: Any,
    client_for: Any,
    pkcs12_path: Path,  # noqa: F811
) -> Any:
    """Factory: a client on an app that signs with the firm's PKCS#12."""

    async def make(*plugins: object, **env: str) -> TestClient:
        app = await build_app(
            *plugins,
            **{
                **FAST,
                "TAXPORTAL_PLUGINS__ENABLED": PLUGINS,
                "TAXPORTAL_SIGNING_PDF__PKCS12_PATH": str(pkcs12_path),
                "TAXPORTAL_SIGNING_PDF__PKCS12_PASSPHRASE": PASSPHRASE,
                **env,
            },
        )
        return await client_for(app)

    return make


async def ready_portal(client: TestClient) -> Ready:
    s = await signers_on(client)
    portal = await Portal.get(id=s.portal_id)
    tax_return = await TaxReturn.get(id=portal.tax_return_id)  # type: ignore[attr-defined]
    return Ready(s, Principal("staff", s.preparer_id, "127.0.0.1"), tax_return.id)


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def send(r: Ready, name: str, pdf: bytes, *signers: str) -> PreparerDocument:
    """The preparer adds ``pdf`` and sends it, asking ``signers`` to sign."""
    document = await preparer.add(r.core, r.staff, r.return_id, name, chunks(pdf))
    await preparer.send(r.core, r.staff, r.return_id, [preparer.Pick(document.id, signers)])
    return await PreparerDocument.get(id=document.id)


async def view(r: Ready, document_id: int, signer: str = "taxpayer") -> None:
    """The signer opens the document with View (the bytes read to the end)."""
    _, body = await sent_documents.open_document(r.core, r.principal, document_id, signer=signer)
    async for _ in body:
        pass


async def consent_to_sign(r: Ready, role: str) -> None:
    await consent.record(r.core, r.principal, role, "accepted", "en", "pytest", ip="127.0.0.1")


async def pass_identity(r: Ready, role: str) -> None:
    await identity.start(r.core, r.principal, role)
    message = journey.newest_email(r.client)
    assert message["To"] == CONTACTS[role]
    code = journey.code_in(message.get_body(("plain",)).get_content())
    outcome = await identity.answer(
        r.core, r.principal, role, {"c0_code": code, **ANSWERS[role]}, "127.0.0.1", "pytest"
    )
    assert outcome.passed


async def draw(r: Ready, role: str, seed: int = 1) -> signatures.OnFile:
    return await signatures.save(
        r.principal, role, drawn_signature(seed=seed), spouse_verified=role == "spouse"
    )


async def ready_to_sign(r: Ready, role: str, *document_ids: int) -> None:
    """Every step before Sign, for ``role``: consent and identity (the spouse's identity
    first), a drawing, each View."""
    if role == "spouse":
        await pass_identity(r, role)
        await consent_to_sign(r, role)
    else:
        await consent_to_sign(r, role)
        await pass_identity(r, role)
    await draw(r, role)
    for document_id in document_ids:
        await view(r, document_id, role)
