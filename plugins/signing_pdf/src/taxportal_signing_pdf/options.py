"""The settings a signing pass needs, as plain data for the pool (no pyHanko here: the
server process imports this, only pool processes import ``seal``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SealOptions:
    """The settings a pass needs, as plain data for the pool."""

    firm_name: str
    reason: str
    location: str
    signature_block_text: str
    timestamp_url: str = ""
    timestamp_timeout: float = 10.0
