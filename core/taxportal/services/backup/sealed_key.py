"""The data-encryption key in a backup: sealed with a passphrase the operator gives
(scrypt, then AES-256-GCM), never in the clear."""

from __future__ import annotations

import base64
import json
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SCRYPT_N = 2**15  # ~0.1 s and 32 MB per try: a guessed passphrase costs that each time
MIN_PASSPHRASE = 12
CONTEXT = b"taxportal backup data key v1"


class WrongPassphrase(Exception):
    """The passphrase does not open the sealed key (or the file was altered)."""


def _derive(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=8, p=1).derive(passphrase.encode())


def seal(key: bytes, passphrase: str) -> str:
    """JSON text holding ``key`` sealed under ``passphrase``."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValueError(f"the backup passphrase must have at least {MIN_PASSPHRASE} characters")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = AESGCM(_derive(passphrase, salt)).encrypt(nonce, key, CONTEXT)
    parts = {"kdf": "scrypt", "n": SCRYPT_N, "r": 8, "p": 1, "salt": salt, "nonce": nonce}
    encoded = {
        k: base64.b64encode(v).decode() if isinstance(v, bytes) else v for k, v in parts.items()
    }
    return json.dumps({**encoded, "sealed": base64.b64encode(sealed).decode()}, indent=1)


def unseal(text: str, passphrase: str) -> bytes:
    try:
        parts = json.loads(text)
        salt = base64.b64decode(parts["salt"])
        nonce = base64.b64decode(parts["nonce"])
        sealed = base64.b64decode(parts["sealed"])
        if parts.get("kdf") != "scrypt" or parts.get("n") != SCRYPT_N:
            raise WrongPassphrase("unknown sealing")
        return AESGCM(_derive(passphrase, salt)).decrypt(nonce, sealed, CONTEXT)
    except (InvalidTag, KeyError, ValueError, TypeError):
        raise WrongPassphrase("the passphrase does not open this backup's key") from None
