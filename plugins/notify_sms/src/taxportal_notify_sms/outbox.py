"""Outbox mode: each text message becomes one JSON file instead of being sent."""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from taxportal.api import DeliveryError, make_private_dir


class OutboxWriter:
    """Writes ``<dir>/<UTC time>-<random>.json`` atomically. Blocking: run it in a thread."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    def deliver(self, to: str, text: str) -> str:
        """Write one message for ``to`` (E.164); return the file name."""
        try:
            return self._write(to, text)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise DeliveryError(
                f"cannot write to the SMS outbox {self.directory}: {reason}"
            ) from None

    def _write(self, to: str, text: str) -> str:
        now = datetime.now(UTC)
        name = f"{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.json"
        record = {"to": to, "from": self.sender, "text": text, "created": now.isoformat()}
        data = json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        make_private_dir(self.directory)  # 0700, its parents too
        temp = self.directory / f".{name}.tmp"  # dot-prefixed: readers skip unfinished files
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # texts may hold links
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.directory / name)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return name
