"""The firm's key material at start-up: the firm's own PKCS#12 when configured, else the
keys made on first start and kept encrypted in the database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from taxportal.api import AppConfig, secret_cipher
from taxportal_signing_pdf import keys
from taxportal_signing_pdf.keys import KeyMaterial
from taxportal_signing_pdf.models import FIRM_SLOT, FirmSigningKey
from taxportal_signing_pdf.settings import SigningPdfSettings

SIGNING_KEY = "signing_pdf:signing_key"  # the cipher's context for each stored secret
ROOT_KEY = "signing_pdf:root_key"


async def load(
    config: AppConfig, settings: SigningPdfSettings, pool: Executor | None
) -> KeyMaterial:
    """The material every seal of this process uses (``pool`` None: the default threads)."""
    if settings.pkcs12_path is not None:
        passphrase = settings.pkcs12_passphrase
        secret = passphrase.get_secret_value().encode() if passphrase else None
        return await _run(pool, _read_pkcs12, settings.pkcs12_path, secret)
    return await firm_keys(config, pool)


async def firm_keys(config: AppConfig, pool: Executor | None) -> KeyMaterial:
    """The stored keys; on the very first start, made (in the pool) and inserted once.

    Several processes on several hosts may start at once: each makes a candidate, the
    unique ``slot`` lets one insert win (ON CONFLICT DO NOTHING), and all read back the
    winner's row, so every process seals with the same key."""
    cipher = secret_cipher(config)
    row = await FirmSigningKey.get_or_none(slot=FIRM_SLOT)
    if row is None:
        made: keys.NewFirmKeys = await _run(pool, keys.make_firm_keys, config.core.firm.name)
        candidate = FirmSigningKey(
            slot=FIRM_SLOT,
            root_certificate=made.material.root_cert_pem.decode(),
            signing_certificate=made.material.signing_cert_pem.decode(),
            signing_key=cipher.encrypt(made.material.signing_key_pem.decode(), SIGNING_KEY),
            root_key=cipher.encrypt(made.root_key_pem.decode(), ROOT_KEY),
        )
        await FirmSigningKey.bulk_create([candidate], ignore_conflicts=True)
        row = await FirmSigningKey.get(slot=FIRM_SLOT)
    root = row.root_certificate.encode()
    return KeyMaterial(
        signing_key_pem=cipher.decrypt(row.signing_key, SIGNING_KEY).encode(),
        signing_cert_pem=row.signing_certificate.encode(),
        chain_pem=(root,),
        root_cert_pem=root,
    )


def _read_pkcs12(path: Any, passphrase: bytes | None) -> KeyMaterial:
    with open(path, "rb") as handle:
        return keys.load_pkcs12(handle.read(), passphrase)


async def _run(pool: Executor | None, function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
