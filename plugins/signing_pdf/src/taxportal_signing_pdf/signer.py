"""The ``signing_pdf`` signer: the contract's face, with its own process pool.

Every signing and validation runs in the pool (CPU work: a thread would hold the event
loop's GIL, and ten signings in threads pushed a cheap page's p99 past 100 ms). The pool's
processes fork from a "forkserver" (a clean process that imported pyHanko once), never from
the server itself, so none inherits its event loop, threads or connections, and a new pool
starts in milliseconds instead of the 2 s of imports a spawned process pays."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from taxportal.api import AppConfig, SealCheck, SigningError, SigningResult, SigningTask
from taxportal_signing_pdf import keystore, pool_signer, seal, validation
from taxportal_signing_pdf.keys import KeyMaterial
from taxportal_signing_pdf.settings import SigningPdfSettings

NAME = "signing_pdf"
log = logging.getLogger(__name__)


class PdfSealSigner:
    """Places marks, certifies and seals with pyHanko in a pool of ``pool_size`` processes.

    ``start()`` (Startable) spawns the pool and loads or makes the firm's keys;
    ``close()`` (Closable) lets running jobs end and stops the pool."""

    name = NAME

    def __init__(self, config: AppConfig, settings: SigningPdfSettings) -> None:
        self.config = config
        self.settings = settings
        self.options = seal.SealOptions(
            firm_name=config.core.firm.name,
            reason=settings.reason,
            location=settings.location,
            signature_block_text=settings.signature_block_text,
            timestamp_url=settings.timestamp_url,
            timestamp_timeout=settings.timestamp_timeout_seconds,
        )
        self._pool: ProcessPoolExecutor | None = None
        self._keys: KeyMaterial | None = None

    async def start(self) -> None:
        self._pool = self._new_pool()
        self._keys = await keystore.load(self.config, self.settings, self._pool)
        # each process imports pyHanko and parses the key now, not on a taxpayer's click
        await asyncio.gather(
            *(self._run(pool_signer.warm, self._keys) for _ in range(self.settings.pool_size))
        )

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:  # waiting for running jobs blocks: not on the loop
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def sign(self, task: SigningTask) -> SigningResult:
        result: SigningResult = await self._run(seal.sign, task, self._material(), self.options)
        return result

    async def validate(self, pdf: bytes) -> SealCheck:
        check: SealCheck = await self._run(validation.check, pdf, self._material().root_cert_pem)
        return check

    def root_certificate_pem(self) -> bytes:
        return self._material().root_cert_pem

    def certificate_fingerprint(self) -> str:
        return self._material().fingerprint

    def _material(self) -> KeyMaterial:
        if self._keys is None:
            raise SigningError("Signing is not available yet; try again in a moment.")
        return self._keys

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([seal.__name__])  # only read when the server starts
        return ProcessPoolExecutor(max_workers=self.settings.pool_size, mp_context=context)

    async def _run(self, function: Callable[..., Any], *args: Any) -> Any:
        pool = self._pool
        if pool is None:
            raise SigningError("Signing is not available yet; try again in a moment.")
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
        except BrokenProcessPool:
            # a pool process died (killed, out of memory): the next job gets a fresh pool
            log.error("a signing process died; the pool is started again")
            if self._pool is pool:
                self._pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
            raise SigningError("Signing was interrupted; please try again.") from None
