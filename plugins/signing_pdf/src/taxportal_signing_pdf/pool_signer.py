"""The pyHanko signer of a pool process, built once per key and kept.

pyHanko's ``SimpleSigner`` parses its private key again for every raw signature, twice a
seal (a dry run sizes the signature): with an RSA key, cryptography's consistency check
makes that about 250 ms each. This one parses the key once per process."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.sign import signers
from pyhanko.sign.general import get_pyca_cryptography_hash
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


def warm(keys: KeyMaterial) -> None:
    """Run at start-up in each pool process: imports done, key parsed."""
    from taxportal_signing_pdf import seal  # noqa: F401 - the import is the warm-up

    signer_for(keys)
