"""Benchmark: signing through real servers, and what it does to a cheap page's p99.

    .venv/bin/python bench/signing_load.py [--databases sqlite,postgres] [--seconds 10]
        [--signers 10] [--connections 10]

Per database (SQLite, or PostgreSQL at 127.0.0.1:5432 in its own database
``taxportal_bench``), all in one run:

1. Seeds (in a child process with the server's environment, through the services where
   they take no emailed code) ``--signers`` taxpayers, each on their own portal, signed in,
   consented, identity passed (its row written directly: the check's code goes by email),
   a drawing on file, and enough documents sent to them and opened with View: a 50-page
   return plus an 8879 page (161 KiB) each, under its own name. The firm's PKCS#12 is
   made here (RSA-3072), the signing_pdf pool has ``pool_size`` 2 per server process.
2. Starts ``taxportal serve --workers 1`` on 127.0.0.1 and measures, each for
   ``--seconds``: the reference, the cheap page (``/portal/login``) with Debian's wrk
   (``-t1 -c<connections>``) and nothing else running, twice: paced (each connection
   waits ``--delay`` ms between requests, wrk's ``delay()``: about what a few hundred
   people clicking would ask) and as fast as the server answers (wrk's usual closed
   loop: the page then competes with the signings for the one event loop); signings
   alone: each taxpayer POSTs the real Sign page
   (``/portal/preparer-files/{id}/sign/taxpayer`` with the session's CSRF token) for
   their next document, one after another, so ``--signers`` signings are in flight;
   then wrk on the cheap page (each pace) while the signings run.
3. The same with ``taxportal serve --workers 2`` on the same database (signings alone,
   then with the paced wrk).

Prints the cheap page's req/s, p50 and p99, signings per second (the Sign POSTs answered
with the 303 to the file list in the window) and each Sign's p50/p99. Targets (issue 11):
the cheap page's p99 under 50 ms with 10 signings in flight; signings per second with 2
processes, against 1 (no target: the figure). Only loopback traffic; the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).parent))
from client_list import POSTGRES_URL, free_port, reset_postgres, write_csv
from pages import WRK_REPORT, wait_for

REPO = Path(__file__).resolve().parents[1]
TAXPORTAL = [sys.executable, "-m", "taxportal.cli"]
PASSWORD = "benchmark password"
PASSPHRASE = "bench passphrase"
CHEAP_PAGE = "/portal/login"
POOL_SIZE = 2


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def write_pkcs12(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509 import load_pem_x509_certificate

    from taxportal_signing_pdf.keys import make_firm_keys

    keys = make_firm_keys("Bench Tax Service").material
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"firm",
            serialization.load_pem_private_key(keys.signing_key_pem, None),  # type: ignore[arg-type]
            load_pem_x509_certificate(keys.signing_cert_pem),
            [load_pem_x509_certificate(keys.root_cert_pem)],
            serialization.BestAvailableEncryption(PASSPHRASE.encode()),
        )
    )


async def seed(signers: int, documents: int) -> None:
    """Run in a child process with the server's environment; prints, as JSON, each
    taxpayer's cookie, CSRF token and the ids of their documents ready to sign."""
    import datetime as dt
    import secrets

    sys.path.insert(0, str(REPO))
    from taxportal.config import load_config
    from taxportal.crypto import token_digest
    from taxportal.models import (
        IdentityCheck,
        Portal,
        PreparerDocument,
        SignatureRequest,
        StaffUser,
        TaxpayerAccount,
        TaxReturn,
        WebSession,
    )
    from taxportal.runtime import build_core, started
    from taxportal.services.documents import preparer
    from taxportal.services.documents import sent as sent_documents
    from taxportal.services.documents.access import Principal
    from taxportal.services.signing import consent, signatures
    from tests.signing_pdf import documents as pdfs
    from tests.signing_pdf.drawings import drawn_signature

    pdf = pdfs.form_8879(return_pages=50)

    async def chunks() -> object:
        yield pdf

    now = dt.datetime.now(dt.UTC)
    out = []
    async with started(build_core(load_config(None))) as core:
        admin = await StaffUser.get(email="bench@firm.example.com")
        staff = Principal("staff", admin.id, "127.0.0.1")
        returns = await TaxReturn.all().order_by("id").limit(signers)
        for n, tax_return in enumerate(returns):
            portal = await Portal.create(tax_return=tax_return, created_by=admin, status="verified")
            account = await TaxpayerAccount.create(
                portal=portal,
                username=f"benchsigner{n}",
                username_key=f"benchsigner{n}",
                password_hash="-",  # noqa: S106 - never signs in: the session is made here
                email=f"bench.signer{n}@example.com",
                verified_at=now,
            )
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            await WebSession.create(
                token_hash=token_digest(token),
                kind="taxpayer",
                csrf_token=csrf,
                second_factor_at=now,
                account=account,
            )
            taxpayer = Principal("taxpayer", account.id, "127.0.0.1", portal.id)
            await consent.record(core, taxpayer, "taxpayer", "accepted", "en", "bench", ip="::1")
            await IdentityCheck.create(
                portal=portal, role="taxpayer", method="one-time code by email", passed_at=now
            )
            await signatures.save(taxpayer, "taxpayer", drawn_signature(seed=n + 1))
            # the first through the preparer's add and send and the signer's View; the
            # rest are its copies (rows and bytes), as the preparer would have sent them
            first = await preparer.add(core, staff, tax_return.id, "Return 000.pdf", chunks())  # type: ignore[arg-type]
            await preparer.send(
                core, staff, tax_return.id, [preparer.Pick(first.id, ("taxpayer",))]
            )
            _, body = await sent_documents.open_document(
                core, taxpayer, first.id, signer="taxpayer"
            )
            async for _ in body:
                pass
            first = await PreparerDocument.get(id=first.id)
            request = await SignatureRequest.get(document_id=first.id)
            ids = [first.id]
            for i in range(1, documents):
                key = f"{first.storage_key}-{i}"
                await core.plugins.storage.put(key, chunks())
                document = await PreparerDocument.create(
                    tax_return=tax_return,
                    storage_key=key,
                    file_name=f"Return {i:03d}.pdf",
                    size=first.size,
                    sha256=first.sha256,
                    pages=first.pages,
                    added_by=first.added_by,
                    sent_at=first.sent_at,
                    sent_by=first.sent_by,
                    viewed_at=first.viewed_at,
                )
                await SignatureRequest.create(
                    document=document, signer="taxpayer", viewed_at=request.viewed_at
                )
                ids.append(document.id)
            out.append({"cookie": f"tp_taxpayer={token}", "csrf": csrf, "documents": ids})
    print(json.dumps(out))


async def run_wrk(
    url: str, seconds: float, connections: int, delay_ms: int = 0
) -> dict[str, float]:
    """wrk on ``url``; with ``delay_ms`` each connection waits that long between requests
    (wrk's ``delay()``), so the page is asked at a pace instead of as fast as it answers."""
    script = Path(tempfile.mkdtemp()) / "report.lua"
    script.write_text(
        WRK_REPORT + (f"delay = function() return {delay_ms} end\n" if delay_ms else "")
    )
    process = await asyncio.create_subprocess_exec(
        *("wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "10s"),
        *("-s", str(script), url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    line = next(x for x in out.decode().splitlines() if x.startswith("WRK "))
    count, micros, p50, p99, bad_status, broken = (float(x) for x in line.split()[1:])
    if bad_status or broken:
        raise SystemExit(f"{url}: wrk saw {bad_status:.0f} non-2xx and {broken:.0f} broken")
    return {"rps": count / (micros / 1e6), "p50": p50, "p99": p99}


class Signers:
    """Each taxpayer signs their next document, one Sign after another, while running."""

    def __init__(self, base: str, people: list[dict[str, object]]) -> None:
        self.base = base
        self.people = people
        self.times: list[float] = []
        self.ran_out = 0

    async def _one(self, person: dict[str, object], stop: asyncio.Event) -> None:
        headers = {"Cookie": str(person["cookie"]), "User-Agent": "bench/signing_load"}
        ids: list[int] = person["documents"]  # type: ignore[assignment]
        async with aiohttp.ClientSession(headers=headers) as session:
            while not stop.is_set():
                if not ids:
                    self.ran_out += 1
                    return
                document_id = ids.pop(0)
                url = f"{self.base}/portal/preparer-files/{document_id}/sign/taxpayer"
                start = time.perf_counter()
                async with session.post(
                    url, data={"csrf_token": person["csrf"]}, allow_redirects=False
                ) as response:
                    await response.read()
                    where = response.headers.get("Location", "")
                    if response.status != 303 or f"signed={document_id}" not in where:
                        raise SystemExit(f"Sign of {document_id}: {response.status} {where}")
                if not stop.is_set():
                    self.times.append((time.perf_counter() - start) * 1000)

    async def run(self, seconds: float, during: object = None) -> tuple[float, object]:
        """Sign for ``seconds`` (after a 2 s start, not counted), awaiting ``during`` (a
        coroutine) meanwhile; signings per second in the window and what ``during`` gave."""
        stop = asyncio.Event()
        self.ran_out = 0
        tasks = [asyncio.create_task(self._one(p, stop)) for p in self.people]
        await asyncio.sleep(2)
        self.times = []
        start = time.perf_counter()
        result = await during if during is not None else await asyncio.sleep(seconds)  # type: ignore[misc]
        elapsed = time.perf_counter() - start
        done = len(self.times)
        stop.set()
        await asyncio.gather(*tasks)
        if self.ran_out:
            print(f"  !! {self.ran_out} signers ran out of documents: raise --documents")
        return done / elapsed, result


def sign_row(label: str, rate: float, times: list[float]) -> None:
    if not times:
        print(f"{label:<48} no signing finished")
        return
    print(
        f"{label:<48} {rate:>6.1f}/s  Sign p50 {statistics.median(times):6.0f} ms"
        f"  p99 {percentile(times, 0.99):6.0f} ms"
    )


def page_row(label: str, figures: dict[str, float]) -> None:
    print(
        f"{label:<48} {figures['rps']:>6.0f} req/s  p50 {figures['p50']:5.1f} ms"
        f"  p99 {figures['p99']:6.1f} ms"
    )


async def bench_database(kind: str, args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"bench-signing-{kind}-"))
    write_pkcs12(work / "firm.p12")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    env.update(
        {
            "TAXPORTAL_SERVER__DATA_DIR": str(work / "data"),
            "TAXPORTAL_SIGNING_PDF__PKCS12_PATH": str(work / "firm.p12"),
            "TAXPORTAL_SIGNING_PDF__PKCS12_PASSPHRASE": PASSPHRASE,
            "TAXPORTAL_SIGNING_PDF__POOL_SIZE": str(POOL_SIZE),
            "TAXPORTAL_SIGNING__IDENTITY_VALID_MINUTES": "600",
            "TAXPORTAL_FIRM__NAME": "Bench Tax Service",
            "PW": PASSWORD,
        }
    )
    if kind == "postgres":
        await reset_postgres()
        env["TAXPORTAL_DATABASE__URL"] = POSTGRES_URL
    write_csv(work / "returns.csv", max(args.signers, 20))
    for command in (
        ["migrate"],
        ["staff", "add", "bench@firm.example.com", "--password-env", "PW"],
        ["returns", "import", str(work / "returns.csv")],
    ):
        done = subprocess.run([*TAXPORTAL, *command], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"taxportal {command[0]} failed: {done.stderr[-2000:]}")
    began = time.perf_counter()
    seeded = subprocess.run(
        [sys.executable, __file__, "--seed", str(args.signers), str(args.documents)],
        env=env,
        capture_output=True,
        text=True,
    )
    if seeded.returncode != 0:
        raise SystemExit(f"seeding failed: {seeded.stderr[-3000:]}")
    people = json.loads(seeded.stdout.strip().splitlines()[-1])
    print(
        f"\n## {kind}: {args.signers} taxpayers, {args.documents} documents each "
        f"(seeded in {time.perf_counter() - began:.0f} s); wrk -t1 -c{args.connections} "
        f"-d{args.seconds}s on {CHEAP_PAGE}; pool_size {POOL_SIZE} per server process"
    )
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    for workers in (1, 2):
        port = free_port()
        env["TAXPORTAL_SERVER__PORT"] = str(port)
        server = subprocess.Popen(  # type: ignore[call-overload]
            [*TAXPORTAL, "serve", "--workers", str(workers)], env=env, **quiet
        )
        try:
            wait_for(port, server)
            base = f"http://127.0.0.1:{port}"
            signers = Signers(base, people)
            await run_wrk(base + CHEAP_PAGE, 2, args.connections)  # warm up
            await signers.run(2)  # warm up: the pools' first signings
            print(f"# taxportal serve --workers {workers}")
            paces = [(f"paced ({args.delay} ms between)", args.delay)]
            if workers == 1:
                paces.append(("as fast as it answers", 0))
                for pace, delay in paces:
                    page = await run_wrk(base + CHEAP_PAGE, args.seconds, args.connections, delay)
                    page_row(f"cheap page alone, {pace}", page)
            rate, _ = await signers.run(args.seconds)
            sign_row(f"signings alone, {args.signers} in flight", rate, signers.times)
            for pace, delay in paces:
                wrk = run_wrk(base + CHEAP_PAGE, args.seconds, args.connections, delay)
                rate, loaded = await signers.run(args.seconds, wrk)
                page_row(f"cheap page, {pace}, {args.signers} signing", loaded)  # type: ignore[arg-type]
                sign_row("  the signings meanwhile", rate, signers.times)
        finally:
            server.terminate()
            server.wait(timeout=20)
    shutil.rmtree(work, ignore_errors=True)  # 400 documents a taxpayer: about 1 GB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--signers", type=int, default=10)
    parser.add_argument("--documents", type=int, default=400, help="per taxpayer")
    parser.add_argument("--connections", type=int, default=10, help="wrk's, on the cheap page")
    parser.add_argument(
        "--delay", type=int, default=20, help="ms each wrk connection waits between requests"
    )
    parser.add_argument("--seed", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        asyncio.run(seed(*args.seed))
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at start")
    for kind in args.databases.split(","):
        asyncio.run(bench_database(kind, args))


if __name__ == "__main__":
    main()
