"""Benchmark: one 100 MB upload through the portal's upload endpoint, into storage_local
and into storage_s3 (moto_server on loopback).

    .venv/bin/python bench/uploads.py [--size-mb 100] [--repeat 3] [--storages local,s3]
                                      [--s3-part-mib 8]

For each storage: a fresh data directory (SQLite), a taxpayer with a signed-in session
seeded through the services, then the real server (`taxportal serve`) in a subprocess. The
file (random bytes behind a PDF header, written to the data directory's disk first) goes
up as the raw body of `PUT /portal/files/upload` from an aiohttp client on the same
machine. Printed, in MB/s: the upload (request start to the answer, so the server's
fsync and database work are in); the storage backend alone taking the same file (its
put() called in this process: no HTTP, no service); a plain copy of the same file on the
same disk with fsync, without, and with fsync and a SHA-256 computed on the way. Then
the ratio of the upload to the fsynced copy, the server's memory growth (its peak RSS,
VmHWM, reset through /proc/<pid>/clear_refs just before the upload, minus its RSS
before) and the server's CPU seconds for the upload (user + system, all threads).
Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

TAXPORTAL = [sys.executable, "-m", "taxportal.cli"]
MB = 1024 * 1024
SEND_CHUNK = 256 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{what} did not start") from None
            time.sleep(0.05)


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS (Linux 4.0+)


def write_sample(path: Path, size: int) -> None:
    """Incompressible bytes behind a PDF header, so the server takes it for a PDF."""
    with path.open("wb") as out:
        out.write(b"%PDF-1.7\n")
        left = size - 9
        while left:
            block = os.urandom(min(MB, left))
            out.write(block)
            left -= len(block)
        out.flush()
        os.fsync(out.fileno())


def plain_copy(source: Path, target: Path, sync: bool, digest: bool = False) -> float:
    """Seconds to copy the file on the same disk (1 MiB blocks), optionally fsynced and
    optionally computing its SHA-256 on the way (what an upload must do too)."""
    target.unlink(missing_ok=True)
    began = time.perf_counter()
    with source.open("rb") as src, target.open("wb") as dst:
        sha256 = hashlib.sha256()
        while block := src.read(MB):
            if digest:
                sha256.update(block)
            dst.write(block)
        if sync:
            dst.flush()
            os.fsync(dst.fileno())
    seconds = time.perf_counter() - began
    target.unlink()
    return seconds


async def seed(env: dict[str, str]) -> tuple[str, str]:
    """Migrate, then a portal with a taxpayer signed in (past the security code)."""
    from taxportal.config import load_config
    from taxportal.db import apply_migrations
    from taxportal.models import Portal, TaxpayerAccount, TaxReturn
    from taxportal.runtime import build_core, database_config, started
    from taxportal.services.accounts import sessions

    config = load_config(None, env=env)
    await apply_migrations(database_config(build_core(config)))
    async with started(build_core(config)) as core:
        tax_return = await TaxReturn.create(tax_year=2025, last_name="Bench")
        portal = await Portal.create(tax_return=tax_return)
        account = await TaxpayerAccount.create(
            portal=portal,
            username="bench",
            username_key="bench",
            password_hash="-",  # noqa: S106  # never signs in by password
        )
        token, session = await sessions.start(core, account=account, second_factor=True)
    return token, session.csrf_token


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, SEND_CHUNK):
            yield chunk


async def upload(base: str, token: str, csrf: str, path: Path, name: str) -> float:
    """Seconds from the request's start to the server's answer."""
    async with aiohttp.ClientSession(cookies={"tp_taxpayer": token}) as client:
        began = time.perf_counter()
        async with client.put(
            f"{base}/portal/files/upload",
            params={"name": name},
            data=file_chunks(path),
            headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        ) as response:
            body = await response.json()
        seconds = time.perf_counter() - began
    if response.status != 201:
        raise SystemExit(f"upload answered {response.status}: {body}")
    return seconds


async def backend_put(env: dict[str, str], storage: str, path: Path, key: str) -> float:
    """Seconds for the storage backend alone to take the file (in this process, no HTTP,
    no service): what the plugin and the store cost."""
    from taxportal.testing.plugins import plugins_with

    name = "storage_s3" if storage == "s3" else "storage_local"
    settings = {k: v for k, v in env.items() if k.startswith("TAXPORTAL_STORAGE_S3__")}
    plugins = await plugins_with(Path(env["TAXPORTAL_SERVER__DATA_DIR"]), name, None, **settings)
    backend = plugins.storage
    began = time.perf_counter()
    await backend.put(key, file_chunks(path))
    seconds = time.perf_counter() - began
    await backend.delete(key)
    if callable(getattr(backend, "close", None)):
        await backend.close()
    return seconds


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, moto, "moto_server")
    return moto, f"http://127.0.0.1:{port}"


async def create_bucket(endpoint: str, bucket: str) -> None:
    from aiobotocore.session import get_session

    async with get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106  # moto takes any
    ) as client:
        await client.create_bucket(Bucket=bucket)


async def bench_storage(
    storage: str, size_mb: int, repeat: int, moto_endpoint: str, part_mib: int
) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-uploads-{storage}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    env.update(
        {
            "TAXPORTAL_SERVER__DATA_DIR": str(work / "data"),
            "TAXPORTAL_SERVER__HOST": "127.0.0.1",
            "TAXPORTAL_UPLOADS__MAX_FILE_MB": str(size_mb * 2),
            "TAXPORTAL_UPLOADS__MAX_PORTAL_MB": str(size_mb * (repeat + 2)),
        }
    )
    if storage == "s3":
        await create_bucket(moto_endpoint, "bench")
        env.update(
            {
                "TAXPORTAL_PLUGINS__ENABLED": '["storage_s3"]',
                "TAXPORTAL_STORAGE_S3__ENDPOINT_URL": moto_endpoint,
                "TAXPORTAL_STORAGE_S3__BUCKET": "bench",
                "TAXPORTAL_STORAGE_S3__ACCESS_KEY_ID": "bench",
                "TAXPORTAL_STORAGE_S3__SECRET_ACCESS_KEY": "bench",
                "TAXPORTAL_STORAGE_S3__PART_SIZE_MIB": str(part_mib),
            }
        )
    token, csrf = await seed(env)
    sample = work / "data" / "sample.pdf"
    write_sample(sample, size_mb * MB)
    small = work / "data" / "small.pdf"
    write_sample(small, 20 * MB)  # more than two S3 parts: the multipart calls are warm too
    port = free_port()
    env["TAXPORTAL_SERVER__PORT"] = str(port)
    server = subprocess.Popen(
        [*TAXPORTAL, "serve"],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    seconds, growth, cpu = [], [], []
    try:
        wait_for_port(port, server, "taxportal serve")
        await upload(base, token, csrf, small, "warm-up.pdf")  # imports, pools, first queries
        for n in range(repeat):
            with sample.open("r+b") as handle:  # different bytes each time: no duplicate
                handle.seek(9)
                handle.write(os.urandom(16))
            await asyncio.sleep(0.5)
            before = memory_kib(server.pid)["VmRSS"]
            reset_peak(server.pid)
            used = cpu_seconds(server.pid)
            seconds.append(await upload(base, token, csrf, sample, f"big-{n}.pdf"))
            growth.append((memory_kib(server.pid)["VmHWM"] - before) / 1024)
            cpu.append(cpu_seconds(server.pid) - used)
    finally:
        server.terminate()
        server.wait(timeout=20)
    direct = [await backend_put(env, storage, sample, f"direct-{n}") for n in range(repeat)]
    copies = [plain_copy(sample, work / "data" / "copy.bin", sync=True) for _ in range(repeat)]
    cached = [plain_copy(sample, work / "data" / "copy.bin", sync=False) for _ in range(repeat)]
    hashed = [plain_copy(sample, work / "data" / "copy.bin", True, True) for _ in range(repeat)]
    shutil.rmtree(work, ignore_errors=True)
    return {
        "upload": size_mb / statistics.median(seconds),
        "upload_best": size_mb / min(seconds),
        "backend": size_mb / statistics.median(direct),
        "copy_fsync": size_mb / statistics.median(copies),
        "copy_cached": size_mb / statistics.median(cached),
        "copy_hashed": size_mb / statistics.median(hashed),
        "growth": statistics.median(growth),
        "growth_max": max(growth),
        "cpu": statistics.median(cpu),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--storages", default="local,s3")
    parser.add_argument("--s3-part-mib", type=int, default=8, help="storage_s3 part_size_mib")
    args = parser.parse_args()
    storages = args.storages.split(",")
    moto, endpoint = start_moto() if "s3" in storages else (None, "")
    try:
        results = {
            s: await bench_storage(s, args.size_mb, args.repeat, endpoint, args.s3_part_mib)
            for s in storages
        }
    finally:
        if moto is not None:
            moto.terminate()
            moto.wait(timeout=10)
    print(f"\n{args.size_mb} MB upload, median of {args.repeat} (best in brackets); MB/s")
    print(
        f"{'storage':<8} {'upload MB/s':>16} {'backend':>8} {'copy+fsync':>11} {'copy':>6} "
        f"{'copy+sha256+fsync':>18} {'ratio':>6} {'server RSS growth MB':>21} {'CPU s':>6}"
    )
    for storage, r in results.items():
        print(
            f"{storage:<8} {r['upload']:>8.0f} ({r['upload_best']:>5.0f}) {r['backend']:>8.0f} "
            f"{r['copy_fsync']:>11.0f} {r['copy_cached']:>6.0f} {r['copy_hashed']:>18.0f} "
            f"{r['upload'] / r['copy_fsync']:>6.2f} "
            f"{r['growth']:>12.1f} (max {r['growth_max']:.1f}) {r['cpu']:>6.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
