"""The firm's keys made on first start: kept encrypted in the database, made once even when
several processes start at once, the same after a restart; the root downloadable by admins."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from cryptography import x509
from tortoise import connections

from taxportal.api import secret_cipher
from taxportal_signing_pdf.signer import PdfSealSigner
from tests.signing_pdf import documents, drawings
from tests.signing_pdf.conftest import mark, task
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in

ENABLED = '["notify_email", "notify_sms", "storage_local", "signing_pdf"]'


async def stored_rows() -> list[dict[str, Any]]:
    return await connections.get("default").execute_query_dict("SELECT * FROM signing_pdf_firm_key")


async def test_the_first_start_makes_a_root_and_a_signing_certificate_kept_encrypted(
    started: Callable[..., Any],
) -> None:
    core = await started(TAXPORTAL_PLUGINS__ENABLED=ENABLED)
    signer = core.plugins.signer

    result = await signer.sign(
        task(documents.form_8879(), mark("taxpayer", drawings.drawn_signature()))
    )

    assert result.check.passed
    [row] = await stored_rows()
    assert "PRIVATE KEY" not in row["signing_key"] and "PRIVATE KEY" not in row["root_key"]
    cipher = secret_cipher(core.config)
    assert "PRIVATE KEY" in cipher.decrypt(row["signing_key"], "signing_pdf:signing_key")
    root = x509.load_pem_x509_certificate(signer.root_certificate_pem())
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    seal = x509.load_pem_x509_certificate(row["signing_certificate"].encode())
    usage = seal.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment  # nonRepudiation
    assert seal.issuer == root.subject and "Evans Tax Service" in root.subject.rfc4514_string()


async def test_processes_starting_at_once_make_one_key_and_all_seal_with_it(
    started: Callable[..., Any],
) -> None:
    core = await started(TAXPORTAL_PLUGINS__ENABLED=ENABLED)
    await connections.get("default").execute_query("DELETE FROM signing_pdf_firm_key")
    settings = core.config.plugin_settings("signing_pdf")
    racers = [PdfSealSigner(core.config, settings) for _ in range(3)]

    try:
        await asyncio.gather(*(r.start() for r in racers))  # each makes a candidate key
        fingerprints = {r.certificate_fingerprint() for r in racers}
        restarted = PdfSealSigner(core.config, settings)
        await restarted.start()
        await restarted.close()
    finally:
        await asyncio.gather(*(r.close() for r in racers))

    assert len(await stored_rows()) == 1
    assert fingerprints == {restarted.certificate_fingerprint()}


async def test_an_admin_downloads_the_root_to_trust_it(
    build_app: Callable[..., Any], client_for: Callable[..., Any]
) -> None:
    from taxportal.services.accounts import staff as staff_service
    from taxportal.web.keys import CORE

    app = await build_app(TAXPORTAL_PLUGINS__ENABLED=ENABLED)
    client = await client_for(app)
    anonymous = await client.get("/staff/signing/root.pem", allow_redirects=False)
    assert anonymous.status in (302, 303, 401) and b"CERTIFICATE" not in await anonymous.read()
    await staff_service.add_staff(app[CORE], ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    await sign_in(client)

    response = await client.get("/staff/signing/root.pem")

    assert response.status == 200
    assert await response.read() == app[CORE].plugins.signer.root_certificate_pem()
    assert "attachment" in response.headers["Content-Disposition"]
