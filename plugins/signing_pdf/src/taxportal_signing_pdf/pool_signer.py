"""The pyHanko signer of a pool process, built once per key and kept.

pyHanko's ``SimpleSigner`` parses its private key again for every raw signature, twice a
seal (a dry run sizes the signature): with an RSA key, cryptography's consistency check
makes that about 250 ms each. This one parses the key once per process.

The dry run itself (a whole CMS built, signed and encoded to learn its length, then 50%
added for a time-stamp server's answers) is nearly half of a bare seal of a 50-page
return (bench/signing.py), and its padding is read back byte by byte by the validation.
Without a time-stamp server the signature's size depends only on the key and
certificates: ``reserved_for`` sizes it once per key."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.sign import signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko_certvalidator.registry import SimpleCertificateStore

from taxportal_signing_pdf.keys import KeyMaterial


class KeptKeySigner(signers.SimpleSigner):
    """A ``SimpleSigner`` holding its key parsed (PKCS#1 v1.5 RSA or ECDSA; anything else
    goes through pyHanko's own path)."""

    def __init__(self, keys: KeyMaterial) -> None:
        chain = [c for pem in keys.chain_pem for c in load_certs_from_pemder_data(pem)]
        super().__init__(
            signing_cert=next(iter(load_certs_from_pemder_data(keys.signing_cert_pem))),
            signing_key=load_private_key_from_pemder_data(keys.signing_key_pem, passphrase=None),
            cert_registry=SimpleCertificateStore.from_certs(chain),
        )
        # our own key, checked when it was made or loaded: the consistency check is skipped
        self._parsed = serialization.load_pem_private_key(
            keys.signing_key_pem, password=None, unsafe_skip_rsa_key_validation=True
        )

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        key = self._parsed
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
            return key.sign(data, PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
            return key.sign(data, ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)


@functools.lru_cache(maxsize=4)  # per pool process: the firm's key, rarely another
def signer_for(keys: KeyMaterial) -> KeptKeySigner:
    return KeptKeySigner(keys)


# room for what a dry run cannot know: an ECDSA signature's length varies by a few bytes
SIZE_MARGIN = 512  # hex digits: 256 bytes


@functools.lru_cache(maxsize=4)
def reserved_for(keys: KeyMaterial) -> int:
    """The hex digits to reserve for a seal by this key without a time-stamp server:
    pyHanko's own dry run (a placeholder CMS of the same shape), once per key."""
    placeholder = asyncio.run(
        signer_for(keys).async_sign(
            bytes(32),
            "sha256",
            dry_run=True,
            use_pades=True,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=dt.datetime.now(dt.UTC)),
        )
    )
    return len(placeholder.dump()) * 2 + SIZE_MARGIN


def warm(keys: KeyMaterial) -> None:
    """Run at start-up in each pool process: imports done, key parsed."""
    from taxportal_signing_pdf import seal  # noqa: F401 - the import is the warm-up

    signer_for(keys)
    reserved_for(keys)
