"""Turns an OutgoingMessage into a MIME email (plain text, plus HTML when given)."""

from __future__ import annotations

import email.errors
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from taxportal.api import InvalidAddress, OutgoingMessage
from taxportal_notify_email.settings import EmailSettings


def build_email(message: OutgoingMessage, settings: EmailSettings) -> EmailMessage:
    mail = EmailMessage()
    display_name = _one_line(settings.from_name or message.sender_name)
    mail["From"] = Address(display_name=display_name, addr_spec=settings.from_address)
    mail["To"] = _recipient(message.to)
    mail["Subject"] = _one_line(message.subject)
    mail["Date"] = formatdate(localtime=True)
    # An explicit domain: the default asks DNS for this host's name, which can stall.
    mail["Message-ID"] = make_msgid(domain=settings.from_address.rpartition("@")[2])
    if message.language:
        mail["Content-Language"] = message.language
    # quoted-printable keeps accents intact through servers without 8BITMIME.
    mail.set_content(message.text, charset="utf-8", cte="quoted-printable")
    if message.html:
        mail.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return mail


def _recipient(to: str) -> Address:
    try:
        return Address(addr_spec=to.strip())
    except (ValueError, IndexError, email.errors.MessageError):
        raise InvalidAddress(f"not a valid email address: {to!r}") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())  # a line break in a header would end it
