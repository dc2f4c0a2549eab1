"""The hash chain of a document's signing events: what is hashed, and how.

An event's hash is SHA-256 (hex) over its canonical form: JSON with sorted keys, no spaces,
UTF-8, holding every column but ``id`` and ``hash`` (so ``prev_hash`` too), with ``at`` in
UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. The first event of a document links to a genesis
value made from the document id, so a chain cannot be moved to another document, and a
chain that lost its first events is told apart from one that never had them.

Changing any of this makes every stored chain fail to verify: add a new form next to this
one instead (and say in the event which one it uses).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

UTC = dt.UTC


def genesis(document_id: int) -> str:
    """The ``prev_hash`` of a document's first event."""
    return hashlib.sha256(f"taxportal signing_event genesis {document_id}".encode()).hexdigest()


def utc_text(at: dt.datetime) -> str:
    """``at`` as hashed: UTC, microseconds always written (a naive time is taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    *,
    document_id: int,
    seq: int,
    at: dt.datetime,
    kind: str,
    role: str,
    actor: str,
    ip: str,
    user_agent: str,
    details: Mapping[str, Any],
    prev_hash: str,
) -> bytes:
    fields = {
        "document_id": document_id,
        "seq": seq,
        "at": utc_text(at),
        "kind": kind,
        "role": role,
        "actor": actor,
        "ip": ip,
        "user_agent": user_agent,
        "details": dict(details),
        "prev_hash": prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(**fields: Any) -> str:
    """The hash of an event given its columns (the keyword arguments of ``canonical``)."""
    return hashlib.sha256(canonical(**fields)).hexdigest()


def hash_of_row(event: Any) -> str:
    """The hash a stored event should have, recomputed from its columns."""
    return event_hash(
        document_id=event.document_id,
        seq=event.seq,
        at=event.at,
        kind=event.kind,
        role=event.role,
        actor=event.actor,
        ip=event.ip,
        user_agent=event.user_agent,
        details=event.details if isinstance(event.details, Mapping) else {"?": event.details},
        prev_hash=event.prev_hash,
    )
