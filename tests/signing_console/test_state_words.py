"""Each combination of a document's signature requests, in the Manager's words."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from taxportal.services.documents.preparer import DocumentRow

NOW = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("state", "viewed", "signatures", "words"),
    [
        ("not_sent", False, {}, "Not sent"),
        ("sent", False, {}, "Sent"),
        ("sent", True, {}, "Viewed"),
        ("sent", False, {"taxpayer": "pending"}, "Sent"),
        ("sent", True, {"taxpayer": "pending", "spouse": "pending"}, "Viewed"),
        ("sent", True, {"taxpayer": "signed", "spouse": "pending"}, "Signed by taxpayer"),
        ("sent", True, {"taxpayer": "pending", "spouse": "signed"}, "Signed by spouse"),
        ("sent", True, {"taxpayer": "signed", "spouse": "signed"}, "Complete"),
        ("sent", True, {"taxpayer": "signed"}, "Complete"),
        ("superseded", True, {"taxpayer": "voided"}, "Replaced by a newer version"),
        ("superseded", True, {"taxpayer": "signed"}, "Replaced by a newer version"),
    ],
)
def test_progress_words(state, viewed, signatures, words):
    document = SimpleNamespace(viewed_at=NOW if viewed else None)
    row = DocumentRow(document, state, signatures)  # type: ignore[arg-type]
    assert row.progress == words


def test_each_signer_in_order_with_their_words():
    row = DocumentRow(
        SimpleNamespace(viewed_at=None), "sent", {"spouse": "signed", "taxpayer": "pending"}
    )  # type: ignore[arg-type]
    assert row.signers == [("taxpayer", "waiting for signature"), ("spouse", "signed")]
