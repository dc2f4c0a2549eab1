"""The clients behind portals, for pages keyed by portal (chat's inbox and conversation):
who they are, their return, their portal's state and documents, and the portals a
client-list search finds. Plain SQL, bounded by the ids asked for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taxportal.services.returns import client_list
from taxportal.services.returns.client_search import Digest, parse
from taxportal.sql import Sql


@dataclass(frozen=True)
class PortalClient:
    """A portal's client as the console names them."""

    portal_id: int
    return_id: int
    tax_year: int
    first_name: str
    last_name: str
    portal_status: str  # invited | registered | verified
    locked: bool  # too many failed registrations: staff unlock it on Manage Portals

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class PortalDocuments:
    """The portal's documents in numbers: current sent documents (not replaced, not
    deleted), their signatures given and still asked, and the taxpayer's stored uploads."""

    sent: int
    signed: int
    to_sign: int
    uploads: int
    new_uploads: int  # not yet marked reviewed


CLIENT_COLUMNS = (
    "p.id AS portal_id, p.status, p.locked_at, r.id AS return_id, r.tax_year, "
    "r.first_name, r.last_name"
)
# a current document: sent, not replaced by a newer version, not deleted
DOCUMENTS_SQL = """
SELECT (SELECT COUNT(*) FROM preparer_document d WHERE {current}) AS sent,
       (SELECT COUNT(*) FROM preparer_document d JOIN signature_request s
        ON s.document_id = d.id WHERE {current} AND s.status = 'signed') AS signed,
       (SELECT COUNT(*) FROM preparer_document d JOIN signature_request s
        ON s.document_id = d.id WHERE {current} AND s.status = 'pending') AS to_sign,
       (SELECT COUNT(*) FROM uploaded_file u WHERE u.portal_id = p.id AND u.state = 'stored'
        AND u.deleted_at IS NULL) AS uploads,
       (SELECT COUNT(*) FROM uploaded_file u WHERE u.portal_id = p.id AND u.state = 'stored'
        AND u.deleted_at IS NULL AND u.reviewed_at IS NULL) AS new_uploads
FROM portal p WHERE p.id = {id}
"""
CURRENT = (
    "d.tax_return_id = p.tax_return_id AND d.sent_at IS NOT NULL "
    "AND d.superseded_at IS NULL AND d.deleted_at IS NULL"
)


def _client(row: dict[str, Any]) -> PortalClient:
    return PortalClient(
        portal_id=int(row["portal_id"]),
        return_id=int(row["return_id"]),
        tax_year=int(row["tax_year"]),
        first_name=row["first_name"],
        last_name=row["last_name"],
        portal_status=row["status"],
        locked=row["locked_at"] is not None,
    )


async def of_portals(portal_ids: list[int]) -> dict[int, PortalClient]:
    """The clients of ``portal_ids`` (unknown ids left out): one statement."""
    if not portal_ids:
        return {}
    sql = Sql(bounded=True)
    rows = await sql.rows(
        f"SELECT {CLIENT_COLUMNS} FROM portal p JOIN tax_return r "  # noqa: S608
        f"ON r.id = p.tax_return_id WHERE p.id IN ({sql.params(portal_ids)})"
    )
    return {int(row["portal_id"]): _client(row) for row in rows}


async def documents(portal_id: int) -> PortalDocuments:
    """The portal's document counts (zeros for an unknown portal): one statement."""
    sql = Sql(bounded=True)
    rows = await sql.rows(DOCUMENTS_SQL.format(current=CURRENT, id=sql.param(portal_id)))
    if not rows:
        return PortalDocuments(0, 0, 0, 0, 0)
    row = rows[0]
    return PortalDocuments(
        *(int(row[k] or 0) for k in ("sent", "signed", "to_sign", "uploads", "new_uploads"))
    )


async def matching(search: str, digest: Digest | None, limit: int) -> list[int]:
    """The portals whose return a client-list search matches (the File Viewer's rules:
    services/returns/client_search.py), at most ``limit``, newest portal first."""
    terms = parse(search, digest)
    sql = Sql()
    where = client_list.filters(sql, terms, None)
    rows = await sql.rows(
        "SELECT p.id AS portal_id FROM tax_return JOIN portal p "  # noqa: S608
        f"ON p.tax_return_id = tax_return.id{where} ORDER BY p.id DESC "
        f"LIMIT {sql.param(limit)}"
    )
    return [int(row["portal_id"]) for row in rows]
