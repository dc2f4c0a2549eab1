"""The firm's own PKCS#12: a wrong passphrase stops the start with the reason; a
certificate not meant for signing gives files that do not validate, which the signer
refuses to hand back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from taxportal.api import SigningError
from taxportal.testing.plugins import plugins_with
from taxportal_signing_pdf.keys import KeyMaterialError, NewFirmKeys
from tests.signing_pdf import documents, drawings
from tests.signing_pdf.conftest import PASSPHRASE, build_signer, mark, task


def encipherment_only_pkcs12(firm_keys: NewFirmKeys, path: Path) -> Path:
    """A certificate from the firm's root whose key usage is keyEncipherment only."""
    root_key = serialization.load_pem_private_key(firm_keys.root_key_pem, None)
    root = x509.load_pem_x509_certificate(firm_keys.material.root_cert_pem)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(False, False, True, False, False, False, False, False, False)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Not for signing")]))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(usage, critical=True)
        .sign(root_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"x", key, cert, [root], serialization.BestAvailableEncryption(PASSPHRASE.encode())
        )
    )
    return path


async def test_a_seal_that_would_not_validate_is_refused(
    firm_keys: NewFirmKeys, tmp_path: Path
) -> None:
    path = encipherment_only_pkcs12(firm_keys, tmp_path / "wrong-usage.p12")
    signer = await build_signer(tmp_path / "data", path)
    try:
        with pytest.raises(SigningError, match="did not validate"):
            await signer.sign(
                task(documents.form_8879(), mark("taxpayer", drawings.drawn_signature()))
            )
    finally:
        await signer.close()


async def test_a_wrong_passphrase_stops_the_start_with_the_reason(
    pkcs12_path: Path, tmp_path: Path
) -> None:
    wrong = tmp_path / "firm.p12"
    wrong.write_bytes(pkcs12_path.read_bytes())
    plugins = await plugins_with(
        tmp_path / "data",
        "signing_pdf",
        {"pkcs12_path": str(wrong)},
        TAXPORTAL_SIGNING_PDF__PKCS12_PASSPHRASE="not the passphrase",
    )
    signer = plugins.signer
    assert signer is not None
    try:
        with pytest.raises(KeyMaterialError, match="wrong passphrase"):
            await signer.start()
    finally:
        await signer.close()
