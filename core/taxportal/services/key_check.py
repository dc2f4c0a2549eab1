"""Every process and host must seal secrets with the same data-encryption key.

The first process to start records a fingerprint of its key (a keyed digest: it tells
keys apart and reveals nothing of them), in one insert-if-absent; every later one
compares its own and refuses to start on a difference, before it seals an SSN that the
other hosts could never read.
"""

from __future__ import annotations

from tortoise import connections

from taxportal.config import ConfigError
from taxportal.crypto import FieldCipher
from taxportal.models import DataKeyFingerprint
from taxportal.sql import Sql

SLOT = "data_key"


class DataKeyMismatch(ConfigError):
    """This process' data key is not the one the database's secrets are sealed with."""


def fingerprint(cipher: FieldCipher) -> str:
    return cipher.digest("fingerprint", "data_key_check")[:32]


async def recorded() -> str | None:
    row = await DataKeyFingerprint.get_or_none(slot=SLOT)
    return row.fingerprint if row else None


async def check_same_key(cipher: FieldCipher) -> None:
    """Record this key's fingerprint if none is, else compare; raises DataKeyMismatch."""
    mine = fingerprint(cipher)
    sql = Sql()
    await sql.rows(
        "INSERT INTO data_key_fingerprint (slot, fingerprint, recorded_at) "  # noqa: S608
        f"VALUES ({sql.param(SLOT)}, {sql.param(mine)}, CURRENT_TIMESTAMP) "
        "ON CONFLICT (slot) DO NOTHING"
    )
    theirs = await recorded()
    if theirs != mine:
        raise DataKeyMismatch(
            f"this process' data-encryption key (fingerprint {mine[:8]}) is not the one the "
            f"database's SSNs are sealed with (fingerprint {(theirs or '')[:8]}): give every "
            "host the same key (TAXPORTAL_SECURITY__ENCRYPTION_KEY or the first host's "
            "encryption.key)"
        )


async def forget() -> None:
    """After a restore without the old key: the next start records the new key."""
    await connections.get("default").execute_query(
        "DELETE FROM data_key_fingerprint WHERE slot = 'data_key'"
    )
