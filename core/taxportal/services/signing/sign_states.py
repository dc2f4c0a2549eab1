"""Where each signature request of a portal's documents stands, for the taxpayer's list."""

from __future__ import annotations

from collections.abc import Sequence

from taxportal.limits import MAX_ID
from taxportal.sql import Sql

MAX_DOCUMENTS = 500  # one page of Files From My Preparer lists far fewer


async def request_states(document_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """document id -> {signer role: "pending" | "signed" | "voided"}, one bounded read by
    the (document, signer) unique index. Callers pass ids they already checked."""
    ids = [i for i in document_ids if type(i) is int and 1 <= i <= MAX_ID][:MAX_DOCUMENTS]
    if not ids:
        return {}
    sql = Sql(bounded=True)
    rows = await sql.rows(
        "SELECT document_id, signer, status FROM signature_request "  # noqa: S608 (bound)
        f"WHERE document_id IN ({sql.params(ids)})"
    )
    states: dict[int, dict[str, str]] = {}
    for row in rows:
        states.setdefault(int(row["document_id"]), {})[row["signer"]] = row["status"]
    return states
