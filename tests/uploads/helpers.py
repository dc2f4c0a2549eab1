"""Shared by the upload tests: sample files, portals, owners, moto_server and real servers."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from taxportal.models import Portal, TaxReturn
from taxportal.services.documents.access import Principal

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PDF = b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 20 + b"%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 300
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 300
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x02" * 100
TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x03" * 100
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500
MiB = 1024 * 1024
PREPARER = Principal("staff", 1, "198.51.100.4")


def pdf_of(size: int, seed: int) -> bytes:
    """A distinct "PDF" of ``size`` bytes (the header makes it one; the rest is noise)."""
    return b"%PDF-1.7\n" + random.Random(seed).randbytes(size - 9)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def chunked(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def gather(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


async def new_portal(last_name: str = "Núñez") -> Portal:
    tax_return = await TaxReturn.create(tax_year=2025, last_name=last_name)
    return await Portal.create(tax_return=tax_return)


def owner(portal: Portal) -> Principal:
    """The taxpayer who owns ``portal``, as the access check sees them."""
    return Principal("taxpayer", 500 + portal.id, "203.0.113.9", portal_id=portal.id)


def stored_files(core: Any) -> list[Path]:
    """Every file under storage_local's folder, temporary ones included."""
    root = core.config.data_dir / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.05)


class MotoServer:
    """``moto_server`` on 127.0.0.1 in a process of its own (so a test can stop it)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> MotoServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, 20, "moto_server")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    """Settings that put the bytes in storage_s3 (alone) on ``endpoint``."""
    return {
        "TAXPORTAL_PLUGINS__ENABLED": '["storage_s3"]',
        "TAXPORTAL_STORAGE_S3__ENDPOINT_URL": endpoint,
        "TAXPORTAL_STORAGE_S3__BUCKET": bucket,
        "TAXPORTAL_STORAGE_S3__ACCESS_KEY_ID": "AKIATESTPORTAL",
        "TAXPORTAL_STORAGE_S3__SECRET_ACCESS_KEY": "s3cret/Key+ThatMustNeverShow",
        "TAXPORTAL_STORAGE_S3__PART_SIZE_MIB": "5",
        "TAXPORTAL_STORAGE_S3__MAX_ATTEMPTS": "1",
        "TAXPORTAL_STORAGE_S3__CONNECT_TIMEOUT": "2",
    }


def process_env(config: Any, **extra: str) -> dict[str, str]:
    """The environment for a `taxportal` process on the same data directory and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
    env.update(
        {
            "TAXPORTAL_SERVER__DATA_DIR": str(config.data_dir),
            "TAXPORTAL_DATABASE__URL": config.database_url,
            "TAXPORTAL_FIRM__NAME": "Evans Tax Service",
            "TAXPORTAL_SERVER__HOST": "127.0.0.1",
        }
    )
    plugins = config.core.plugins  # the same plugins as the test's own config (and migration)
    env["TAXPORTAL_PLUGINS__DISABLED"] = json.dumps(plugins.disabled)
    if "enabled" in plugins.model_fields_set:
        env["TAXPORTAL_PLUGINS__ENABLED"] = json.dumps(plugins.enabled)
    env.update(extra)
    return env


class Server:
    """`taxportal serve` in its own process, as a firm runs it."""

    command = ("taxportal.cli", "serve")  # after `python -m`

    def __init__(self, env: dict[str, str], work_dir: Path) -> None:
        self.port = free_port()
        self.env = {**env, "TAXPORTAL_SERVER__PORT": str(self.port)}
        self.env["TAXPORTAL_SERVER__BASE_URL"] = f"http://127.0.0.1:{self.port}"
        self.work_dir = work_dir
        self.log = work_dir / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", *self.command],
                env=self.env,
                cwd=self.work_dir,  # no stray taxportal.toml gets read
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_port(self.port, self.process, timeout, "taxportal serve")
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{self.log.read_text(errors='replace')}") from None
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
