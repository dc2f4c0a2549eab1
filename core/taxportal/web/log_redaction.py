"""Keeps single-use tokens out of access logs: an invitation link is a credential."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"(/invite/)[^\s/?\"]+")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _TOKEN_PATH.sub(r"\1<redacted>", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = _TOKEN_PATH.sub(r"\1<redacted>", record.msg)
        return True


def install() -> None:
    """Once per process, on aiohttp's access and server loggers."""
    for name in ("aiohttp.access", "aiohttp.server", "aiohttp.web"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
