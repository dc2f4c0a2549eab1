"""The firm's keys: a root and a signing certificate made here, or the firm's own PKCS#12.

Everything is PEM bytes, so the material crosses into the process pool as plain data."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

RSA_BITS = 3072  # NIST's size for keys used past 2030; every PDF reader verifies RSA
ROOT_YEARS = 25
SIGNING_YEARS = 10


class KeyMaterialError(ValueError):
    """The firm's PKCS#12 cannot be used; the message names the reason, never the secret."""


@dataclass(frozen=True)
class KeyMaterial:
    """What a seal needs: the signing key and certificate, the chain up to the root, and
    the root the firm trusts (PEM each)."""

    signing_key_pem: bytes
    signing_cert_pem: bytes
    chain_pem: tuple[bytes, ...]  # certificates between the signing one and the root, root too
    root_cert_pem: bytes

    @property
    def fingerprint(self) -> str:
        """Hex SHA-256 of the signing certificate's DER."""
        cert = x509.load_pem_x509_certificate(self.signing_cert_pem)
        return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


@dataclass(frozen=True)
class NewFirmKeys:
    """Freshly made keys: the material, plus the root key (kept to issue the next signing
    certificate without asking the firm to trust a new root)."""

    material: KeyMaterial
    root_key_pem: bytes


def make_firm_keys(firm_name: str, now: dt.datetime | None = None) -> NewFirmKeys:
    """A firm root (CA) and a signing certificate it issues (digitalSignature and
    nonRepudiation): CPU work, run in the pool."""
    now = now or dt.datetime.now(dt.UTC)
    firm = (firm_name or "taxportal").strip()[:60]
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    root_name = _name(f"{firm} signing root", firm)
    root = (
        _builder(root_name, root_name, root_key.public_key(), now, ROOT_YEARS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    cert = (
        _builder(
            _name(f"{firm} document seal", firm), root_name, key.public_key(), now, SIGNING_YEARS
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    root_pem = root.public_bytes(serialization.Encoding.PEM)
    material = KeyMaterial(
        _key_pem(key), cert.public_bytes(serialization.Encoding.PEM), (root_pem,), root_pem
    )
    return NewFirmKeys(material, _key_pem(root_key))


def load_pkcs12(data: bytes, passphrase: bytes | None) -> KeyMaterial:
    """The firm's own key and certificate from a PKCS#12 file; its root is the self-signed
    certificate among those it carries (or the signing certificate, if self-signed)."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
    except (ValueError, TypeError):
        raise KeyMaterialError("the PKCS#12 file cannot be read (wrong passphrase?)") from None
    if key is None or cert is None:
        raise KeyMaterialError("the PKCS#12 file holds no private key and certificate")
    chain = [c for c in extra or [] if c != cert]
    roots = [c for c in [*chain, cert] if c.issuer == c.subject]
    if not roots:
        raise KeyMaterialError("the PKCS#12 file lacks the root certificate of its chain")
    pem = serialization.Encoding.PEM
    return KeyMaterial(
        _key_pem(key),  # type: ignore[arg-type]
        cert.public_bytes(pem),
        tuple(c.public_bytes(pem) for c in chain),
        roots[0].public_bytes(pem),
    )


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),  # encrypted by the core's cipher before it is stored
    )


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]),
        ]
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: rsa.RSAPublicKey,
    now: dt.datetime,
    years: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))  # a clock a little behind still agrees
        .not_valid_after(now + dt.timedelta(days=365 * years))
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,  # nonRepudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
