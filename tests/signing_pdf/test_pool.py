"""The signer's process pool: a pool process that dies (killed, out of memory) fails the
signing in flight with a plain message, and the next signing gets a fresh pool."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from pathlib import Path

import pytest

from taxportal.api import SigningError
from tests.signing_pdf import documents, drawings
from tests.signing_pdf.conftest import build_signer, mark, task


async def test_a_killed_pool_process_fails_one_signing_and_the_next_works(
    pkcs12_path: Path, tmp_path: Path
) -> None:
    signer = await build_signer(tmp_path / "data", pkcs12_path)
    signing = task(documents.form_8879(), mark("taxpayer", drawings.drawn_signature()))
    try:
        assert (await signer.sign(signing)).check.passed
        for pid in list(signer._pool._processes):  # what the OOM killer would do
            os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.2)

        with pytest.raises(SigningError, match="interrupted"):
            await signer.sign(signing)

        assert (await signer.sign(signing)).check.passed
    finally:
        await signer.close()


async def test_a_started_signer_has_no_pool_until_warmed_or_used(
    pkcs12_path: Path, tmp_path: Path
) -> None:
    """One-off commands start every backend: the signer's keys load, but no process starts
    until a server warms it (or a signing needs it)."""
    signer = await build_signer(tmp_path / "data", pkcs12_path)
    try:
        assert signer._pool is None
        await signer.warm()
        await signer.warmed()
        assert signer._pool is not None and len(signer._pool._processes) == 1
    finally:
        await signer.close()
    with pytest.raises(SigningError):  # a closed signer does not start a new pool
        await signer.sign(task(documents.form_8879(), mark("taxpayer", drawings.drawn_signature())))


async def test_closing_a_signer_mid_warm_up_leaves_no_unread_failure(
    pkcs12_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A server stopped while its pool still starts: the cancelled warm-up is read, so no
    "exception was never retrieved" fires later from a garbage collector's finalizer (one
    fired inside another test's ast.parse and broke it)."""
    signer = await build_signer(tmp_path / "data", pkcs12_path)
    await signer.warm()
    await signer.close()
    await asyncio.sleep(0)
    gc.collect()
    assert "never retrieved" not in caplog.text
