"""SMTP delivery through aiosmtplib, with failures told in words a preparer can act on."""

from __future__ import annotations

import socket
import ssl
from email.message import EmailMessage

import aiosmtplib

from taxportal.api import ConfigError, DeliveryError, InvalidAddress
from taxportal_notify_email.settings import PASSWORD_ENV, EmailSettings


class SmtpRelay:
    """Hands each message to one SMTP server; the Message-ID is the reference."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self.where = f"{settings.smtp_host}:{settings.smtp_port}"
        self._tls_context = _tls_context(settings)

    async def deliver(self, mail: EmailMessage) -> str:
        s = self.settings
        try:
            await aiosmtplib.send(
                mail,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.username or None,
                password=s.password.get_secret_value() if s.username and s.password else None,
                use_tls=s.security == "tls",
                start_tls=s.security == "starttls",  # False, not None: "none" never upgrades
                tls_context=self._tls_context,
                timeout=s.timeout,
            )
        except aiosmtplib.SMTPException as exc:
            raise self._scrub(self._explain(exc)) from exc
        except ssl.SSLError as exc:
            raise self._scrub(self._tls_failure(exc)) from exc
        except OSError as exc:
            reason = _network_reason(exc)
            raise DeliveryError(f"cannot reach SMTP server {self.where}: {reason}") from exc
        return str(mail["Message-ID"])

    def _explain(self, exc: aiosmtplib.SMTPException) -> DeliveryError:
        where = self.where
        if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
            return _refused_recipient(exc.recipients[0])
        if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
            return _refused_recipient(exc)
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            return DeliveryError(
                f"SMTP login failed for user '{self.settings.username}' on {where}: "
                f"{exc.code} {exc.message}; check username and {PASSWORD_ENV}"
            )
        if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code == 530:
            # "Must issue a STARTTLS command first" or "Authentication required"
            return DeliveryError(
                f"SMTP server {where} refused to take mail: {exc.code} {exc.message}; "
                f"check security (now {self.settings.security!r}) and username"
            )
        if isinstance(exc, aiosmtplib.SMTPSenderRefused):
            return DeliveryError(
                f"SMTP server refused the sender <{exc.sender}>: {exc.code} {exc.message}; "
                "check from_address"
            )
        if isinstance(exc, aiosmtplib.SMTPDataError):
            return DeliveryError(
                f"SMTP server {where} rejected the message: {exc.code} {exc.message}"
            )
        if isinstance(exc, aiosmtplib.SMTPTimeoutError):
            return DeliveryError(
                f"SMTP server {where} did not answer within {self.settings.timeout:g} s"
            )
        tls = _tls_cause(exc)
        if tls is not None:
            return self._tls_failure(tls)
        if isinstance(exc, aiosmtplib.SMTPConnectError):
            return DeliveryError(f"cannot reach SMTP server {where}: {_network_reason(exc)}")
        if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
            return DeliveryError(
                f"SMTP server {where} closed the connection unexpectedly; "
                f"check smtp_port and security (now {self.settings.security!r})"
            )
        if "AUTH" in exc.message:  # aiosmtplib raises bare SMTPExceptions here
            return DeliveryError(
                f"SMTP server {where} does not offer a login on this connection; "
                'use security = "starttls" or "tls", or remove username'
            )
        if "STARTTLS" in exc.message:
            return DeliveryError(
                f'SMTP server {where} does not offer STARTTLS; use security = "tls" '
                'for an implicit-TLS port such as 465, or "none" for a local relay'
            )
        if isinstance(exc, aiosmtplib.SMTPNotSupported):
            return DeliveryError(f"SMTP server {where}: {exc.message}")
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            return DeliveryError(f"SMTP server {where} answered {exc.code} {exc.message}")
        return DeliveryError(f"SMTP error with {where}: {exc.message}")

    def _tls_failure(self, exc: ssl.SSLError) -> DeliveryError:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return DeliveryError(
                f"cannot verify the TLS certificate of SMTP server {self.where}: "
                f"{exc.verify_message}; set ca_file if the server uses its own CA"
            )
        return DeliveryError(
            f"TLS handshake with SMTP server {self.where} failed ({exc.reason or exc}); "
            f"check smtp_port and security (now {self.settings.security!r})"
        )

    def _scrub(self, error: DeliveryError) -> DeliveryError:
        # Belt and braces: no server reply may carry the password into the UI.
        password = self.settings.password
        text = str(error)
        if password and password.get_secret_value() and password.get_secret_value() in text:
            return type(error)(text.replace(password.get_secret_value(), "********"))
        return error


def _tls_context(settings: EmailSettings) -> ssl.SSLContext | None:
    if settings.ca_file is None:
        return None  # aiosmtplib then trusts the system's certificate authorities
    try:
        return ssl.create_default_context(cafile=str(settings.ca_file))
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"[notify_email] ca_file: {settings.ca_file} is not a PEM file of certificates ({exc})"
        ) from None


def _refused_recipient(exc: aiosmtplib.SMTPRecipientRefused) -> DeliveryError:
    detail = f"<{exc.recipient}>: {exc.code} {exc.message}"
    if 500 <= exc.code < 600:
        return InvalidAddress(f"SMTP server refused the recipient {detail}")
    return DeliveryError(f"SMTP server temporarily refused the recipient {detail}; try again later")


def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
    seen = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _network_reason(exc: BaseException) -> str:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return "unknown host name; check smtp_host"
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused; check smtp_host and smtp_port, and that the server runs"
        if isinstance(seen, OSError) and not isinstance(seen, aiosmtplib.SMTPException):
            return seen.strerror or type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    return str(exc)
