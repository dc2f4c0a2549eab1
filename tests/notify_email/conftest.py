"""Fixtures for the email plugin: a real aiosmtpd server, TLS certificates, a config builder."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from taxportal.contracts import OutgoingMessage
from taxportal.plugins import Plugins
from taxportal.testing.plugins import plugins_with

SMTP_USER = "preparer@smithtax.example"
SMTP_PASSWORD = "s3cret-Pässword!"
REFUSED_PREFIX = "nobody@"  # the server answers 550 to these recipients
BUSY_PREFIX = "busy@"  # ... and 451 to these


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


@dataclass
class CollectingHandler:
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith(REFUSED_PREFIX):
            return "550 5.1.1 No such user here"
        if address.startswith(BUSY_PREFIX):
            return "451 4.2.0 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        tls = server.transport.get_extra_info("ssl_object") is not None
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), message, tls, login)
        )
        return "250 Message accepted"


def check_password(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == SMTP_USER
        and auth_data.password.decode() == SMTP_PASSWORD
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: CollectingHandler

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@dataclass
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@pytest.fixture(autouse=True)
async def _let_tls_connections_finish_closing() -> AsyncIterator[None]:
    # aiosmtplib returns once QUIT is answered; the TLS close_notify exchange ends a few
    # loop turns later. Give it those turns before pytest-asyncio closes the loop, or the
    # socket underneath is reported as unclosed (ResourceWarning) in some later test.
    yield
    await asyncio.sleep(0.05)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A private CA and a server certificate for 127.0.0.1 that it signed."""
    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Mail CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.fixture
def start_smtp() -> Iterator[Callable[..., SmtpServer]]:
    """Start a real aiosmtpd server on 127.0.0.1: ``start_smtp(**smtp_options)``."""
    controllers: list[Controller] = []

    def start(**options: Any) -> SmtpServer:
        handler = CollectingHandler()
        port = free_port()  # Controller(port=0) does not work
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, server_hostname="mail.test", **options
        )
        controller.start()
        controllers.append(controller)
        return SmtpServer("127.0.0.1", port, handler)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (a mail server that is down)."""
    return free_port()


@pytest.fixture
def smtp_server(start_smtp: Callable[..., SmtpServer]) -> SmtpServer:
    """A plain-text server with no login."""
    return start_smtp()


@pytest.fixture
def starttls_server(start_smtp: Callable[..., SmtpServer], tls_files: TlsFiles) -> SmtpServer:
    """A server that demands STARTTLS, then a login (SMTP_USER / SMTP_PASSWORD)."""
    return start_smtp(
        tls_context=tls_files.server_context(),
        require_starttls=True,
        auth_require_tls=True,
        auth_required=True,
        authenticator=check_password,
    )


@pytest.fixture
def tls_server(start_smtp: Callable[..., SmtpServer], tls_files: TlsFiles) -> SmtpServer:
    """A server that speaks TLS from the first byte (like port 465)."""
    return start_smtp(ssl_context=tls_files.server_context())


@pytest.fixture
def smtp_credentials() -> dict[str, str]:
    """The login the STARTTLS server accepts, as plugin settings."""
    return {"username": SMTP_USER, "password": SMTP_PASSWORD}


MakePlugins = Callable[..., Awaitable[Plugins]]


@pytest.fixture
def make_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakePlugins:
    """Build config + plugin manager + facade with only this plugin enabled.

    ``settings`` become TAXPORTAL_NOTIFY_EMAIL__* variables; ``toml`` is written to a file.
    """
    monkeypatch.chdir(tmp_path)  # never pick up a taxportal.toml lying in the working copy

    async def make(
        settings: dict[str, Any] | None = None, toml: str | None = None, **env: str
    ) -> Plugins:
        path = None
        if toml is not None:
            path = tmp_path / "portal.toml"
            path.write_text(toml, encoding="utf-8")
        env.setdefault("TAXPORTAL_FIRM__NAME", "Contabilidad Pérez & Asociados")
        return await plugins_with(tmp_path / "data", "notify_email", settings, path, **env)

    return make


@pytest.fixture
def invitation() -> Callable[..., OutgoingMessage]:
    """An invitation as the core would send it (Spanish, with accents and HTML)."""

    def make(to: str = "ana.nunez@example.com", **changes: Any) -> OutgoingMessage:
        fields: dict[str, Any] = {
            "channel": "email",
            "to": to,
            "text": "Hola Señora Núñez: su declaración está lista. Abra https://portal.example/i/abc",
            "subject": "Su portal seguro ha sido creado · Declaración 2024",
            "html": "<p>Hola Señora Núñez: su <b>declaración</b> está lista.</p>",
            "sender_name": "Contabilidad Pérez & Asociados",
            "purpose": "invitation",
            "language": "es",
        }
        fields.update(changes)
        return OutgoingMessage(**fields)

    return make
