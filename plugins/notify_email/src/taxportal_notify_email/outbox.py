"""The outbox: each email becomes one .eml file, for a laptop with no mail server."""

from __future__ import annotations

import asyncio
import os
import secrets
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

from taxportal.api import DeliveryError, make_private_dir


class Outbox:
    """Writes messages atomically under ``directory``; the file name is the reference."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def deliver(self, mail: EmailMessage) -> str:
        data = mail.as_bytes(policy=policy.SMTP)  # CRLF lines, as a mail client expects
        try:
            return await asyncio.to_thread(self._write, data)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise DeliveryError(
                f"cannot write the email to the outbox {self.directory}: {reason}"
            ) from exc

    def _write(self, data: bytes) -> str:
        make_private_dir(self.directory)  # 0700, its parents too
        name = _file_name()
        temp = self.directory / f".{name}.tmp"  # hidden and unlisted until complete
        try:
            # 0o600: an invitation email carries a link that opens the portal.
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with open(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, self.directory / name)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return name


def _file_name() -> str:
    # Sorts by time; the random part keeps two messages in one microsecond apart.
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{stamp}-{secrets.token_hex(4)}.eml"
