"""Hosts must share one data-encryption key: a process with another key refuses to start
(before it seals an SSN nobody else could read), however many start at once."""

from __future__ import annotations

import asyncio
import base64
import secrets
from typing import Any

import pytest

from taxportal.crypto import FieldCipher
from taxportal.runtime import build_core, started
from taxportal.services import key_check
from tests.support import migrate


def key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


async def test_a_second_key_is_refused_with_one_line(make_config: Any, database: str) -> None:
    first = make_config(database, TAXPORTAL_SECURITY__ENCRYPTION_KEY=key_text())
    await migrate(first)
    async with started(build_core(first)):
        pass  # the first start records its key's fingerprint
    async with started(build_core(first)):
        pass  # the same key starts again

    other = make_config(database, TAXPORTAL_SECURITY__ENCRYPTION_KEY=key_text())
    with pytest.raises(key_check.DataKeyMismatch) as refused:
        async with started(build_core(other)):
            pass
    text = str(refused.value)
    assert "same key" in text and "TAXPORTAL_SECURITY__ENCRYPTION_KEY" in text
    assert other.core.security.encryption_key.get_secret_value() not in text  # type: ignore[union-attr]


async def test_first_starts_racing_record_one_key_and_refuse_the_others(
    make_config: Any, database: str
) -> None:
    config = make_config(database)
    await migrate(config)
    async with started(build_core(config)):
        await key_check.forget()
        ciphers = [FieldCipher(secrets.token_bytes(32)) for _ in range(8)]
        results = await asyncio.gather(
            *(key_check.check_same_key(c) for c in ciphers), return_exceptions=True
        )
        passed = [c for c, r in zip(ciphers, results, strict=True) if r is None]
        assert len(passed) == 1  # one key won; every other was told
        assert all(isinstance(r, key_check.DataKeyMismatch) for r in results if r is not None)
        assert await key_check.recorded() == key_check.fingerprint(passed[0])


async def test_config_check_warns_of_what_several_hosts_cannot_share(
    make_config: Any, database: str
) -> None:
    import subprocess
    import sys

    from tests.uploads.helpers import process_env

    if database.startswith("sqlite"):
        pytest.skip("one host's file: nothing is shared")
    config = make_config(database, TAXPORTAL_SECURITY__ENCRYPTION_KEY=key_text())
    await migrate(config)
    async with started(build_core(config)):
        pass

    def check(**env: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "taxportal.cli", "config", "check"],
            env=process_env(config, **env),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    same = check(
        TAXPORTAL_SECURITY__ENCRYPTION_KEY=config.core.security.encryption_key.get_secret_value()  # type: ignore[union-attr]
    )
    assert "[storage] backend = local keeps files on this host's disk" in same
    assert "data-encryption key differs" not in same
    other = check(TAXPORTAL_SECURITY__ENCRYPTION_KEY=key_text(), TAXPORTAL_BUS__BACKEND="local")
    assert "data-encryption key differs" in other and "[bus] backend = local" in other
