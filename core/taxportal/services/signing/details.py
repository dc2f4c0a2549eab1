"""The details a signing event may carry: an allow-list of keys, each with the shape of its value.

The record is kept for years and shown to auditors, so it must never hold an SSN, a
one-time code, a password, a token or an answer to an identity question. Rather than
looking for those (a list of bad things is never complete), only the keys below are
accepted, and each value must fit its shape:

- ``hex``: a lowercase hexadecimal digest, 64 characters (SHA-256);
- ``word``: lowercase letters, digits, spaces, ``_``, ``-``, ``.`` and ``+``, 1 to 64 characters,
  starting with a letter and with no run of more than three digits, so no SSN, code, phone
  number or account number fits ("drawn on screen", "code_sms", "passed");
- ``count``: a whole number from 0 to 2**31 - 1 (attempts, ids, a page).

Anything else (an unknown key, a nested value, a float, a longer text) is a ``ValueError``
naming the key (when it looks like a name), never the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

Shape = Literal["hex", "word", "count"]

ALLOWED: dict[str, Shape] = {
    # identity at signing (COMPLIANCE items 1 and 2): method, provider, result, attempts
    "identity_method": "word",  # "code_email", "code_sms", "kba", ...
    "identity_provider": "word",  # the verifier plugin's name
    "identity_result": "word",  # "passed", "failed", "locked"
    "identity_attempts": "count",
    # the signature (items 1 and 7)
    "signing_method": "word",  # "drawn on screen"
    "signature_image_sha256": "hex",
    "request_id": "count",  # the signature_request row
    # the file (items 3 and 9): as sent, as sealed, and the seal
    "sha256_before": "hex",
    "sha256_after": "hex",
    "certificate_fingerprint": "hex",  # SHA-256 of the sealing certificate (DER)
    "validation": "word",  # "intact valid trusted", ...
    # consent (item 6): the hash of the text shown, and its language
    "consent_text_sha256": "hex",
    "language": "word",
    # delivery and voiding
    "channel": "word",  # "email", "sms"
    "reason": "word",  # "superseded", "preparer", ...
    "superseded_by": "count",  # the new version's document id
    "page": "count",
    # a download (item 3): which sealed copy, by its row
    "copy_id": "count",
}

_HEX = re.compile(r"[0-9a-f]{64}")
_WORD = re.compile(r"[a-z][a-z0-9 _.+\-]{0,63}")  # "+" joins identity methods: "code+kba"
_LONG_NUMBER = re.compile(r"[0-9]{4}")
MAX_COUNT = 2**31 - 1


def checked(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """``details`` as stored (a plain dict), or ``ValueError`` for a key or value not allowed."""
    result: dict[str, Any] = {}
    for key, value in (details or {}).items():
        shape = ALLOWED.get(key) if isinstance(key, str) else None
        if shape is None:
            # named when it looks like a name; a key may itself be what must not be kept
            if isinstance(key, str) and _fits("word", key):
                raise ValueError(f"signing event details: {key} is not an allowed key")
            raise ValueError("signing event details: a key that is not allowed")
        if not _fits(shape, value):
            raise ValueError(f"signing event details: {key} must be a {shape}")
        result[key] = value
    return result


def _fits(shape: Shape, value: Any) -> bool:
    if shape == "count":
        return type(value) is int and 0 <= value <= MAX_COUNT  # bool is not a count
    if not isinstance(value, str):
        return False
    if shape == "hex":
        return _HEX.fullmatch(value) is not None
    return _WORD.fullmatch(value) is not None and _LONG_NUMBER.search(value) is None
