"""PAdES B-T: with ``timestamp_url`` set, each seal carries an RFC 3161 time-stamp token
from that server (here a real HTTP server on loopback answering with pyHanko's
DummyTimeStamper and an RSA key of a time-stamp authority made in the test)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from taxportal.api import SigningError
from tests.signing_pdf import documents, drawings
from tests.signing_pdf.conftest import build_signer, mark, task


def tsa_stamper() -> DummyTimeStamper:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Loopback TSA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der_key),
    )


@pytest.fixture
async def tsa_url() -> AsyncIterator[str]:
    """An RFC 3161 server over HTTP on 127.0.0.1; counts the requests it answered."""
    stamper = tsa_stamper()

    async def answer(request: web.Request) -> web.Response:
        req = tsp.TimeStampReq.load(await request.read())
        response = await stamper.async_request_tsa_response(req)
        return web.Response(body=response.dump(), content_type="application/timestamp-reply")

    app = web.Application()
    app.router.add_post("/tsa", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/tsa"
    await runner.cleanup()


async def test_with_a_time_stamp_server_the_seal_is_pades_b_t(
    tsa_url: str, pkcs12_path: Path, tmp_path: Path
) -> None:
    signer = await build_signer(tmp_path / "data", pkcs12_path, timestamp_url=tsa_url)
    try:
        result = await signer.sign(
            task(documents.form_8879(1), mark("taxpayer", drawings.drawn_signature()))
        )
    finally:
        await signer.close()

    assert result.check.passed and result.check.timestamped
    assert "B-T" in result.check.summary
    [seal] = PdfFileReader(io.BytesIO(result.pdf)).embedded_signatures
    # the token sits in the CMS as an unsigned attribute: signature-time-stamp-token
    unsigned = seal.signer_info["unsigned_attrs"]
    assert "signature_time_stamp_token" in [a["type"].native for a in unsigned]


async def test_a_time_stamp_server_that_is_down_fails_the_signing_plainly(
    pkcs12_path: Path, tmp_path: Path
) -> None:
    signer = await build_signer(
        tmp_path / "data",
        pkcs12_path,
        timestamp_url="http://127.0.0.1:9/tsa",  # discard port: nothing listens
        timestamp_timeout_seconds=2,
    )
    try:
        with pytest.raises(SigningError, match="time-stamp server"):
            await signer.sign(
                task(documents.form_8879(1), mark("taxpayer", drawings.drawn_signature()))
            )
    finally:
        await signer.close()
