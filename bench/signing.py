"""Benchmark: signing a 50-page return plus a Form 8879 page with the signing_pdf plugin.

    .venv/bin/python bench/signing.py [--pages 50] [--repeat 15] [--jobs 20] [--in-flight 10]

1. In this process, alternating in one run: a bare pyHanko seal of the document (one
   IncrementalPdfFileWriter, PdfSigner, PAdES SHA-256, the same parsed key; and the same
   again with the signature's size reserved as the plugin reserves it, no dry run: the
   like-for-like reference, since the plugin skips that dry run) against the
   plugin's whole pass (taxpayer and spouse marks placed on the 8879's printed lines, the
   completion certificate page, the seal, then the validation of the output), and the
   validation alone. Medians in ms, and the ratios: the whole pass and the pass without
   its validation, each to the bare seal (target <= 1.5).
2. Through the signer as the core uses it (pool of 2 processes, the firm's PKCS#12):
   ``--jobs`` signings with ``--in-flight`` at once; signings per second, and the event
   loop's wake-up lag (a 5 ms sleep's overshoot) while they run: what a cheap page would
   wait for the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.serialization import pkcs12  # noqa: E402
from cryptography.x509 import load_pem_x509_certificate  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import signers  # noqa: E402
from pyhanko.sign.fields import SigSeedSubFilter  # noqa: E402

from taxportal.api import CertificateEntry, SignatureMark, SigningTask  # noqa: E402
from taxportal.testing.plugins import plugins_with  # noqa: E402
from taxportal_signing_pdf import pool_signer, seal, validation  # noqa: E402
from taxportal_signing_pdf.keys import KeyMaterial, make_firm_keys  # noqa: E402
from tests.signing_pdf import documents, drawings  # noqa: E402

NOW = dt.datetime.now(dt.UTC)
OPTIONS = seal.SealOptions("Bench Tax Service", "Signed through the portal", "", "Signed")


def signing_task(pdf: bytes) -> SigningTask:
    marks = [
        SignatureMark("taxpayer", "Jane Doe", drawings.drawn_signature(seed=1), NOW),
        SignatureMark("spouse", "John Doe", drawings.drawn_signature(seed=4), NOW),
    ]
    entries = [
        CertificateEntry(
            m.role,
            m.name,
            "j***@example.com",
            NOW,
            NOW,
            "203.0.113.9",
            "Mozilla/5.0 (X11; Linux x86_64)",
            "one-time code by email",
            "passed",
        )
        for m in marks
    ]
    return SigningTask("return.pdf", pdf, marks, entries, hashlib.sha256(pdf).hexdigest())


def bare_seal(pdf: bytes, keys: KeyMaterial, reserved: int | None = None) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name="Seal", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES
    )
    out = io.BytesIO()
    signer = signers.PdfSigner(meta, signer=pool_signer.signer_for(keys))
    signer.sign_pdf(writer, output=out, bytes_reserved=reserved)
    return out.getvalue()


def timed(function, *args) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    function(*args)
    return (time.perf_counter() - start) * 1000


def in_process(pdf: bytes, keys: KeyMaterial, repeat: int) -> None:
    task = signing_task(pdf)
    signed = seal.sign(task, keys, OPTIONS).pdf  # warm: imports, parsed key
    reserved = pool_signer.reserved_for(keys)
    bare_seal(pdf, keys)
    bare, sized, whole, checks = [], [], [], []
    for _ in range(repeat):
        bare.append(timed(bare_seal, pdf, keys))
        sized.append(timed(bare_seal, pdf, keys, reserved))
        whole.append(timed(seal.sign, task, keys, OPTIONS))
        checks.append(timed(validation.check, signed, keys.root_cert_pem))
    b, z, w, c = (statistics.median(x) for x in (bare, sized, whole, checks))
    print(f"document: {len(pdf) / 1024:.0f} KiB, {args.pages} pages + an 8879 page")
    print(f"bare pyHanko seal        median {b:7.1f} ms")
    print(f"  the same, size reserved as the plugin does (no dry run) {z:7.1f} ms")
    print(f"whole pass (2 marks, certificate, seal, validation) {w:7.1f} ms  = {w / b:.2f}x")
    print(f"  its validation alone   median {c:7.1f} ms")
    print(f"  pass without validation       {w - c:7.1f} ms  = {(w - c) / b:.2f}x")
    print(
        f"  against the bare seal with the size reserved: {w / z:.2f}x, without validation "
        f"{(w - c) / z:.2f}x"
    )


async def through_the_pool(pdf: bytes, keys: KeyMaterial, jobs: int, in_flight: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "firm.p12"
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"firm",
                serialization.load_pem_private_key(keys.signing_key_pem, None),  # type: ignore[arg-type]
                load_pem_x509_certificate(keys.signing_cert_pem),
                [load_pem_x509_certificate(keys.root_cert_pem)],
                serialization.NoEncryption(),
            )
        )
        plugins = await plugins_with(
            Path(tmp) / "data", "signing_pdf", {"pkcs12_path": str(path), "pool_size": 2}
        )
        signer = plugins.signer
        assert signer is not None
        await signer.start()
        try:
            task = signing_task(pdf)
            await signer.sign(task)  # warm
            lags: list[float] = []
            done = asyncio.Event()

            async def tick() -> None:
                while not done.is_set():
                    start = time.perf_counter()
                    await asyncio.sleep(0.005)
                    lags.append((time.perf_counter() - start - 0.005) * 1000)

            gate = asyncio.Semaphore(in_flight)

            async def one() -> None:
                async with gate:
                    result = await signer.sign(task)
                    assert result.check.passed

            ticker = asyncio.create_task(tick())
            start = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(jobs)))
            elapsed = time.perf_counter() - start
            done.set()
            await ticker
        finally:
            await signer.close()
    lags.sort()
    p99 = lags[int(len(lags) * 0.99) - 1]
    print(f"pool of 2 processes: {jobs} signings, {in_flight} in flight: {jobs / elapsed:.1f} /s")
    p50 = statistics.median(lags)
    print(f"  event loop wake-up lag meanwhile: p50 {p50:.1f} ms, p99 {p99:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--in-flight", type=int, default=10)
    args = parser.parse_args()
    firm = make_firm_keys("Bench Tax Service").material
    document = documents.form_8879(return_pages=args.pages)
    in_process(document, firm, args.repeat)
    asyncio.run(through_the_pool(document, firm, args.jobs, args.in_flight))
