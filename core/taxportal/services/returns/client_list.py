"""The console's client lists (File Viewer, Manage Portals), read with plain SQL.

These are the busiest pages of the console, all season long. Building tortoise models
for a page of 50 returns cost about 2 ms of CPU and the query builder more; the two
statements below cost about 0.5 ms, so a page is read here with SQL and handed to the
templates as light rows (``types.SimpleNamespace``) carrying only what they show.
The API's list is this one too (``full=True``): the same filters, sorting and page, with
the page's returns as models for the API's every field.
"""

from __future__ import annotations

from collections import OrderedDict
from types import SimpleNamespace
from typing import Any

from tortoise.backends.base.client import TransactionalDBClient

from taxportal.models import TaxReturn
from taxportal.services.returns.client_search import Digest, SearchTerm, parse
from taxportal.services.returns.records import ClientPage, ClientRow
from taxportal.sql import Sql, timestamp

# names sort by their folded keys ("de la Cruz" before "Support", "García" with "Garcia")
SORTABLE = {
    "last_name": ("last_name_key", "first_name_key", "id"),
    "first_name": ("first_name_key", "last_name_key", "id"),
    "tax_year": ("tax_year", "last_name_key", "id"),
    "state": ("state", "last_name_key", "id"),
    "city": ("city", "last_name_key", "id"),
    "return_type": ("return_type", "last_name_key", "id"),
    "updated": ("updated_at", "id"),
}

COLUMNS = (  # what the tables show: no ciphertext, no timestamps to parse
    "id",
    "tax_year",
    "return_type",
    "efile_status",
    "first_name",
    "last_name",
    "ssn_last4",
    "ssn_digest",
    "primary_email",
    "secondary_email",
    "mobile_phone",
    "address",
    "city",
    "state",
    "zip_code",
)
# a page's portals with what their state needs: account, newest sent invitation, new
# uploads, and the signatures their current sent documents wait for or have (one grouped
# pass over the page's returns' documents: preparer_document (tax_return_id, sent_at),
# then signature_request (document_id, signer))
PORTALS_SQL = """
SELECT p.id, p.tax_return_id, p.status, p.locked_at, p.link_requested,
       a.id AS account_id, a.verified_at, a.locked_until,
       (SELECT i.id FROM invitation i WHERE i.portal_id = p.id AND i.sent_at IS NOT NULL
        ORDER BY i.id DESC LIMIT 1) AS invitation_id,
       (SELECT COUNT(*) FROM invitation w WHERE w.portal_id = p.id AND w.sent_at IS NULL
        AND w.voided_at IS NULL) AS links_waiting,
       (SELECT COUNT(*) FROM uploaded_file u WHERE u.portal_id = p.id AND u.state = 'stored'
        AND u.reviewed_at IS NULL AND u.deleted_at IS NULL) AS new_uploads,
       g.to_sign, g.signed
FROM portal p LEFT JOIN taxpayer_account a ON a.portal_id = p.id
LEFT JOIN (SELECT d.tax_return_id,
                  SUM(CASE WHEN s.status = 'pending' THEN 1 ELSE 0 END) AS to_sign,
                  SUM(CASE WHEN s.status = 'signed' THEN 1 ELSE 0 END) AS signed
           FROM preparer_document d JOIN signature_request s ON s.document_id = d.id
           WHERE d.tax_return_id IN ({same_ids}) AND d.sent_at IS NOT NULL
           AND d.superseded_at IS NULL AND d.deleted_at IS NULL
           GROUP BY d.tax_return_id) g ON g.tax_return_id = p.tax_return_id
WHERE p.tax_return_id IN ({ids})
"""
# the returns' change counter, moved by triggers on every write a count could see (0008)
VERSION = "(SELECT value FROM change_counter WHERE name = 'tax_return')"
SHORT_WALK = 1_000  # index entries a page may skip and still be a bounded read
REMEMBERED = 1_000  # filters whose count is kept, per process (each entry is a few ints)
_counts: OrderedDict[tuple[tuple[SearchTerm, ...], int | None], tuple[int, int]] = OrderedDict()
INVITATIONS_SQL = "SELECT id, portal_id, channel, sent_at FROM invitation WHERE id IN ({ids})"


def _like(word: str) -> str:
    """``%word%`` with LIKE's wildcards in the word taken literally (ESCAPE '\\')."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filters(sql: Sql, terms: list[SearchTerm], tax_year: int | None) -> str:
    """The filters: year, and every search term (services/returns/client_search.py)."""
    clauses = []
    if tax_year:
        clauses.append(f"tax_year = {sql.param(tax_year)}")
    for term in terms:
        if term.ssn_digest:
            clauses.append(f"ssn_digest = {sql.param(term.ssn_digest)}")
            continue
        text = f"search_text LIKE {sql.param(_like(term.text))} ESCAPE '\\'"
        if term.ssn_last4:
            text = f"({text} OR ssn_last4 = {sql.param(term.ssn_last4)})"
        clauses.append(text)
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


async def page(
    *,
    search: str = "",
    tax_year: int | None = None,
    sort: str = "last_name",
    descending: bool = False,
    page: int = 1,
    per_page: int = 50,
    ssn_digest: Digest | None = None,
    full: bool = False,
) -> ClientPage:
    """One page of clients with portal state, new uploads and signatures: four statements
    at most.
    ``ssn_digest`` (``returns.ssn_digester(core)``) lets a full SSN be searched. ``full``
    (the API) hands each row's return as its ``TaxReturn`` model: one statement more."""
    terms = parse(search, ssn_digest)
    total = await _count(terms, tax_year)
    page = max(1, page)
    offset = (page - 1) * per_page
    limit = max(0, min(per_page, total - offset))
    # a deep page is read from the other end of the index: page 200 of 200 costs as
    # little as page 1 (OFFSET walks every row it skips)
    backwards = offset > total // 2
    if backwards:
        offset = max(0, total - offset - per_page)
    reverse = descending != backwards
    names = SORTABLE.get(sort, SORTABLE["last_name"])
    order = ", ".join(f"{name}{' DESC' if reverse else ''}" for name in names)
    # without a search, the sort's index hands out the page: a short walk (see sql.Sql)
    sql = Sql(bounded=not terms and offset <= SHORT_WALK)
    where = filters(sql, terms, tax_year)
    # only placeholders and names from COLUMNS/SORTABLE are formatted into the SQL
    returns = await sql.rows(
        f"SELECT {', '.join(COLUMNS)} FROM tax_return{where} ORDER BY {order} "  # noqa: S608
        f"LIMIT {sql.param(limit)} OFFSET {sql.param(offset)}"
    )
    if backwards:
        returns.reverse()
    portals = await _portals(Sql(bounded=True), [r["id"] for r in returns])  # by 50 ids
    models = await _models([r["id"] for r in returns]) if full else {}
    rows = []
    for values in returns:
        tax_return: Any = models.get(values["id"]) if full else SimpleNamespace(**values)
        if tax_return is None:  # removed since the page was read
            continue
        found = portals.get(tax_return.id)
        if found is None:
            rows.append(ClientRow(tax_return, None, None))  # type: ignore[arg-type]
        else:
            portal, invitation, account, new_uploads, to_sign, signed = found
            rows.append(
                ClientRow(tax_return, portal, invitation, account, new_uploads, to_sign, signed)  # type: ignore[arg-type]
            )
    return ClientPage(rows, total, page, per_page)


async def _models(return_ids: list[int]) -> dict[int, TaxReturn]:
    if not return_ids:
        return {}
    return {r.id: r for r in await TaxReturn.filter(id__in=return_ids)}


async def _count(terms: list[SearchTerm], tax_year: int | None) -> int:
    """How many returns the filters match, counted again only when the returns have changed.

    Each filter's count is remembered with the returns' change counter (migration 0008).
    One statement reads the counter and, only when it has moved since, counts anew: both
    from one snapshot, so a count is never remembered under a counter older than its rows
    (PostgreSQL and SQLite skip the COUNT's subquery when the CASE does not reach it)."""
    key = (tuple(terms), tax_year or None)
    sql = Sql()
    # inside a transaction a count sees its own uncommitted rows: never remember it; nor
    # one that reads SSN columns, which the counter does not watch
    remember = not isinstance(sql.conn, TransactionalDBClient)
    remember = remember and not any(term.reads_ssn for term in terms)
    known = _counts.get(key) if remember else None
    sql.bounded = known is not None  # most likely the counter has not moved: no COUNT
    seen = sql.param(known[0] if known else -1)
    where = filters(sql, terms, tax_year)
    row = (
        await sql.rows(
            f"SELECT {VERSION} AS version, CASE WHEN {VERSION} = {seen} THEN NULL "  # noqa: S608
            f"ELSE (SELECT COUNT(*) FROM tax_return{where}) END AS total"
        )
    )[0]
    if row["total"] is None and known:
        _remember(key, known)
        return known[1]
    total = int(row["total"])
    if remember and row["version"] is not None:
        _remember(key, (int(row["version"]), total))
    return total


def _remember(key: tuple[tuple[SearchTerm, ...], int | None], entry: tuple[int, int]) -> None:
    """Keep ``entry`` as the newest; drop the oldest past REMEMBERED. Written whole after
    the await: other requests may have dropped or replaced the key meanwhile."""
    _counts[key] = entry
    _counts.move_to_end(key)
    while len(_counts) > REMEMBERED:
        _counts.popitem(last=False)


async def _portals(
    sql: Sql, return_ids: list[int]
) -> dict[int, tuple[Any, Any, Any, int, int, int]]:
    if not return_ids:
        return {}
    # the same ids twice (the signing counts' subquery, then the portals), bound twice:
    # both lists are equal, so their order among the values does not matter
    found = await sql.rows(
        PORTALS_SQL.format(same_ids=sql.params(return_ids), ids=sql.params(return_ids))
    )
    invitation_ids = [row["invitation_id"] for row in found if row["invitation_id"]]
    invitations = {}
    if invitation_ids:
        for row in await sql.rows(INVITATIONS_SQL.format(ids=sql.params(invitation_ids))):
            invitations[row["id"]] = SimpleNamespace(
                id=row["id"], channel=row["channel"], sent_at=timestamp(row["sent_at"])
            )
    by_return = {}
    for row in found:
        portal = SimpleNamespace(
            id=row["id"],
            status=row["status"],
            locked_at=timestamp(row["locked_at"]),
            link_requested=bool(row["link_requested"]),
            link_waiting=bool(row["links_waiting"]),  # a failed send that a job retries
        )
        account = None
        if row["account_id"] is not None:
            account = SimpleNamespace(
                id=row["account_id"],
                verified_at=timestamp(row["verified_at"]),
                locked_until=timestamp(row["locked_until"]),
            )
        invitation = invitations.get(row["invitation_id"])
        by_return[row["tax_return_id"]] = (
            portal,
            invitation,
            account,
            int(row["new_uploads"]),
            int(row["to_sign"] or 0),  # NULL: no signature asked on the return
            int(row["signed"] or 0),
        )
    return by_return
