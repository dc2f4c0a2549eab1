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
from taxportal_signing_pdf import keystore, pool_jobs
from taxportal_signing_pdf.keys import KeyMaterial
from taxportal_signing_pdf.options import SealOptions
from taxportal_signing_pdf.settings import SigningPdfSettings

NAME = "signing_pdf"
log = logging.getLogger(__name__)


class PdfSealSigner:
    """Places marks, certifies and seals with pyHanko in a pool of ``pool_size`` processes.

    ``start()`` (Startable) loads or makes the firm's keys, in a thread: a one-off command
    (``taxportal staff add``) needs no pool. ``warm()`` (Warmable, servers only) starts
    the pool, each process with pyHanko imported and the key parsed; without it the pool
    starts on first use. ``close()`` (Closable) lets running jobs end and stops the pool."""

    name = NAME

    def __init__(self, config: AppConfig, settings: SigningPdfSettings) -> None:
        self.config = config
        self.settings = settings
        self.options = SealOptions(
            firm_name=config.core.firm.name,
            reason=settings.reason,
            location=settings.location,
            signature_block_text=settings.signature_block_text,
            timestamp_url=settings.timestamp_url,
            timestamp_timeout=settings.timestamp_timeout_seconds,
        )
        self._pool: ProcessPoolExecutor | None = None
        self._keys: KeyMaterial | None = None
        self._closed = False
        self._warming: asyncio.Future[list[Any]] | None = None

    async def start(self) -> None:
        # parsing a PKCS#12 or making the keys (once per firm) is C code: a thread will do
        self._keys = await keystore.load(self.config, self.settings, None)

    async def warm(self) -> None:
        """Start the pool's processes in the background: each imports pyHanko and parses
        the key before a taxpayer's click needs it, while the server already serves (a
        signing that comes first simply waits for its process)."""
        keys = self._material()
        self._warming = asyncio.gather(
            *(self._run(pool_jobs.warm, keys) for _ in range(self.settings.pool_size)),
            return_exceptions=True,  # a failed warm-up shows on the first signing instead
        )
        # close() may cancel it: read the outcome so no "never retrieved" log fires at
        # garbage collection (a finalizer logging inside ast.parse broke a test run)
        self._warming.add_done_callback(_consume_outcome)

    async def warmed(self) -> None:
        """Wait for the warm-up begun by ``warm()`` (tests and benchmarks)."""
        if self._warming is not None:
            await self._warming

    async def close(self) -> None:
        self._closed = True  # a late job must not start a new pool
        if self._warming is not None:
            self._warming.cancel()
        pool, self._pool = self._pool, None
        if pool is not None:  # waiting for running jobs blocks: not on the loop
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def sign(self, task: SigningTask) -> SigningResult:
        result: SigningResult = await self._run(
            pool_jobs.sign, task, self._material(), self.options
        )
        return result

    async def validate(self, pdf: bytes) -> SealCheck:
        check: SealCheck = await self._run(pool_jobs.check, pdf, self._material().root_cert_pem)
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
        context.set_forkserver_preload([pool_jobs.SEAL_MODULE])  # only read when the server starts
        return ProcessPoolExecutor(max_workers=self.settings.pool_size, mp_context=context)

    async def _run(self, function: Callable[..., Any], *args: Any) -> Any:
        if self._closed:
            raise SigningError("Signing is not available right now; try again in a moment.")
        if self._pool is None:
            self._pool = self._new_pool()
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
        except BrokenProcessPool:
            # a pool process died (killed, out of memory): the next job gets a fresh pool
            log.error("a signing process died; the pool is started again")
            if self._pool is pool:
                self._pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
            raise SigningError("Signing was interrupted; please try again.") from None


def _consume_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
