"""A local stand-in for Vonage's SMS API: ``POST https://127.0.0.1:PORT/sms/json``.

The Vonage SDK always speaks https, so the fake serves TLS with a throw-away CA
and server certificate made with ``cryptography``. It runs in its own thread
with its own event loop, so sync tests, async tests and a blocking SDK call in
a worker thread can all use it. Point a client at it with::

    with FakeVonage(tmp_path / "vonage") as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_file))
        env = {**fake.config_env(), ...}  # mode, rest_host, api key and secret

Every request is kept in ``fake.requests`` (accepted ones in ``fake.accepted``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime as dt
import ipaddress
import math
import secrets
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Vonage's SMS API status codes (https://developer.vonage.com/en/messaging/sms/guides/troubleshooting-sms)
ERROR_TEXTS = {
    "1": "Throttled",
    "2": "Missing Parameters",
    "3": "Invalid number",
    "4": "Bad Credentials",
    "5": "Internal Error",
    "6": "Invalid Message",
    "7": "Number Barred",
    "8": "Partner Account Barred",
    "9": "Partner Quota Violation",
    "15": "Illegal Sender Address - rejected",
    "29": "Non-Whitelisted Destination",
}


@dataclass(frozen=True)
class ReceivedSms:
    """One POST /sms/json as the fake saw it, with the status it answered."""

    to: str
    from_: str
    text: str
    type: str
    api_key: str
    api_secret: str
    auth: str  # "basic" (Authorization header) or "body" (api_key/api_secret fields)
    content_type: str
    status: str
    message_ids: tuple[str, ...]


@dataclass(frozen=True)
class Certificates:
    ca_file: Path  # trust this (REQUESTS_CA_BUNDLE)
    cert_file: Path
    key_file: Path


def make_certificates(directory: Path, host: str = "127.0.0.1") -> Certificates:
    """A throw-away CA and a server certificate for ``host`` (and localhost), as PEM files."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-vonage test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca_file.write_bytes(ca.public_bytes(pem))
    files.cert_file.write_bytes(cert.public_bytes(pem))
    files.key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=not cert_sign,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


class FakeVonage:
    """Vonage's SMS endpoint on 127.0.0.1 over TLS, recording what it receives."""

    def __init__(
        self,
        directory: Path,
        api_key: str = "fake-api-key",
        api_secret: str = "fake-api-secret-0b4e",
    ) -> None:
        self.directory = directory
        self.api_key = api_key
        self.api_secret = api_secret
        self.requests: list[ReceivedSms] = []
        self.delay = 0.0  # seconds to wait before answering
        self._failing: dict[str, tuple[str, str, int]] = {}
        self._http_answer: tuple[int, str, str] | None = None
        self._certs: Certificates | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self.port = 0

    # what tests read -------------------------------------------------------------

    @property
    def accepted(self) -> list[ReceivedSms]:
        return [r for r in self.requests if r.status == "0"]

    @property
    def rest_host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        if self._certs is None:
            raise RuntimeError("start the fake first")
        return self._certs.ca_file

    def config_env(self) -> dict[str, str]:
        """TAXPORTAL_* variables that point taxportal-notify-sms at this fake."""
        return {
            "TAXPORTAL_NOTIFY_SMS__MODE": "vonage",
            "TAXPORTAL_NOTIFY_SMS__REST_HOST": self.rest_host,
            "TAXPORTAL_NOTIFY_SMS__API_KEY": self.api_key,
            "TAXPORTAL_NOTIFY_SMS__API_SECRET": self.api_secret,
        }

    # how tests steer it ----------------------------------------------------------

    def fail_number(
        self, number: str, status: str = "3", error_text: str | None = None, parts_sent: int = 0
    ) -> None:
        """Answer ``status`` (not "0") for messages to ``number`` (digits, no '+').

        ``parts_sent`` > 0: a long message has that many parts accepted before the
        failure, the way Vonage reports a partial failure.
        """
        text = error_text or ERROR_TEXTS.get(status, "?")
        self._failing[number.lstrip("+")] = (status, text, parts_sent)

    def answer_http(self, status: int, body: str = "", content_type: str = "text/plain") -> None:
        """Answer every request with this raw HTTP response instead of Vonage's JSON."""
        self._http_answer = (status, body, content_type)

    def reset(self) -> None:
        self.requests.clear()
        self._failing.clear()
        self._http_answer = None
        self.delay = 0.0

    # life cycle ------------------------------------------------------------------

    def start(self) -> FakeVonage:
        self._certs = make_certificates(self.directory)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fake-vonage", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = self._runner = None

    def __enter__(self) -> FakeVonage:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _serve(self) -> None:
        assert self._certs is not None
        self._stopping = asyncio.Event()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self._certs.cert_file, self._certs.key_file)
        app = web.Application()
        app.router.add_post("/sms/json", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, ssl_context=context).start()

    async def _shutdown(self) -> None:
        assert self._runner is not None and self._stopping is not None
        self._stopping.set()  # releases handlers waiting out a delay
        await self._runner.cleanup()

    # the endpoint ----------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        content_type = request.content_type
        if content_type == "application/json":
            fields: dict[str, Any] = await request.json()
        else:
            fields = dict(await request.post())
        auth, key, secret = _credentials(request, fields)
        if self.delay and self._stopping is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.delay)
        to = str(fields.get("to", ""))
        text = str(fields.get("text", ""))
        kind = str(fields.get("type") or "text")
        status, error_text, parts_sent = "0", "", _parts(text, kind)
        if (key, secret) != (self.api_key, self.api_secret):
            status, parts_sent = "4", 0
        elif not to or not fields.get("from") or not text:
            status, parts_sent = "2", 0
        elif to in self._failing:
            status, error_text, parts_sent = self._failing[to]
        ids = tuple(secrets.token_hex(8).upper() for _ in range(parts_sent))
        error_text = error_text or ERROR_TEXTS.get(status, "")
        self.requests.append(
            ReceivedSms(
                to=to,
                from_=str(fields.get("from", "")),
                text=text,
                type=kind,
                api_key=key,
                api_secret=secret,
                auth=auth,
                content_type=content_type,
                status=status,
                message_ids=ids,
            )
        )
        if self._http_answer is not None:
            code, body, answer_type = self._http_answer
            return web.Response(status=code, text=body, content_type=answer_type)
        messages: list[dict[str, str]] = [
            {
                "to": to,
                "message-id": message_id,
                "status": "0",
                "remaining-balance": "12.34000000",
                "message-price": "0.00790000",
                "network": "310260",
            }
            for message_id in ids
        ]
        if status != "0":
            messages.append({"to": to, "status": status, "error-text": error_text})
        return web.json_response({"message-count": str(len(messages)), "messages": messages})


def _credentials(request: web.Request, fields: dict[str, Any]) -> tuple[str, str, str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "basic", "", ""
        key, _, secret = decoded.partition(":")
        return "basic", key, secret
    return "body", str(fields.get("api_key", "")), str(fields.get("api_secret", ""))


def _parts(text: str, kind: str) -> int:
    # Vonage splits long messages: 160 GSM characters (70 unicode), 153 (67) a part when split.
    single, multi = (70, 67) if kind == "unicode" else (160, 153)
    return 1 if len(text) <= single else math.ceil(len(text) / multi)
