"""Field encryption for SSNs: AES-256-GCM for storage, a keyed HMAC for lookup."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from taxportal.private_files import make_private_dir

log = logging.getLogger(__name__)
KEY_FILE_NAME = "encryption.key"


class EncryptionKeyError(Exception):
    """The configured encryption key is unusable."""


def load_or_create_key(configured: str | None, data_dir: Path) -> bytes:
    """The 32-byte master key: from config (env), else from the data dir, else a new one."""
    if configured:
        return _decode_key(configured, "TAXPORTAL_SECURITY__ENCRYPTION_KEY")
    path = data_dir / KEY_FILE_NAME
    if path.exists():
        return _decode_key(path.read_text().strip(), str(path))
    make_private_dir(data_dir)
    key = secrets.token_bytes(32)
    # Created with 0600 from the start so the key is never readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.urlsafe_b64encode(key).decode() + "\n")
    log.warning(
        "Generated a new data-encryption key in %s: back it up; without it the SSNs "
        "in the database cannot be read. To manage it yourself, set "
        "TAXPORTAL_SECURITY__ENCRYPTION_KEY.",
        path,
    )
    return key


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.encode())
    except (ValueError, TypeError):
        raise EncryptionKeyError(f"{where}: the encryption key is not base64") from None
    if len(key) != 32:
        raise EncryptionKeyError(
            f"{where}: the encryption key must be 32 bytes (base64 of 32 bytes)"
        )
    return key


def new_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


class FieldCipher:
    """Encrypts small text fields and makes stable lookup digests of them."""

    def __init__(self, master_key: bytes) -> None:
        self._aead = AESGCM(_derive(master_key, b"taxportal field encryption"))
        self._mac_key = _derive(master_key, b"taxportal lookup digest")

    def encrypt(self, plain: str, context: str) -> str:
        # The context (e.g. "ssn") is bound as associated data: a value can't be swapped.
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plain.encode(), context.encode())
        return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, context: str) -> str:
        if not token.startswith("v1:"):
            raise ValueError("unknown ciphertext version")
        blob = base64.urlsafe_b64decode(token[3:].encode())
        return self._aead.decrypt(blob[:12], blob[12:], context.encode()).decode()

    def digest(self, plain: str, context: str) -> str:
        return hmac.new(self._mac_key, f"{context}:{plain}".encode(), hashlib.sha256).hexdigest()


def _derive(master_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(master_key)


def token_digest(token: str) -> str:
    """How single-use tokens (invitations, sessions, API tokens) are stored."""
    return hashlib.sha256(token.encode()).hexdigest()
