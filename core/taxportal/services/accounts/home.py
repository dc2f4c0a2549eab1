"""Home's two cards, files uploaded and files sent by the preparer, in one statement: Home
is where every taxpayer lands, and on PostgreSQL each statement is a round trip."""

from __future__ import annotations

from dataclasses import dataclass

from taxportal.services.documents import sent
from taxportal.services.documents.access import Principal
from taxportal.services.uploads import intake
from taxportal.sql import Sql


@dataclass(frozen=True, slots=True)
class HomeCards:
    uploaded: int
    sent: int


async def cards(principal: Principal) -> HomeCards:
    """The counts of ``intake.count_files`` and ``sent.sent_count`` for the principal's own
    portal (staff, or a taxpayer without a portal: nothing to count). Like them, a number
    is not a file handed out: no access check, no activity entry."""
    if principal.is_staff or principal.portal_id is None:
        return HomeCards(0, 0)
    sql = Sql(bounded=True)
    uploaded = intake.count_sql(sql, principal.portal_id)
    documents = sent.count_sql(sql, principal.portal_id)
    row = (await sql.rows(f"SELECT ({uploaded}) AS uploaded, ({documents}) AS sent"))[0]
    return HomeCards(int(row["uploaded"]), int(row["sent"]))
