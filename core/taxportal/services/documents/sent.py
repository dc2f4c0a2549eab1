"""The taxpayer's side of "Files From My Preparer": the list, the count, and opening a file.

A taxpayer sees a document once it is sent, until a newer version supersedes it, unless it
was signed: a superseded document with a signed copy stays listed (marked replaced), so its
signed copy stays downloadable (``download.signed_copy``), though not its View. Staff see
every document of a return that was not deleted. Each read goes through the access check,
made against the document's real return and portal (Home's count, of the asker's own portal
only, is the one exception: see ``sent_count``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

from taxportal.context import Core
from taxportal.events import DocumentViewed
from taxportal.models import PreparerDocument, SignatureRequest
from taxportal.services.documents.access import Denied, Principal, check, portal_id_of
from taxportal.services.signing import identity, records
from taxportal.services.signing.kinds import Kind
from taxportal.sql import Sql, count, timestamp

__all__ = [
    "Listed",
    "ListedDocument",
    "NotFound",
    "count_sql",
    "listed",
    "open_document",
    "portal_id_of",
    "sent_count",
    "sent_to",
]


@dataclass(frozen=True)
class Viewer:
    """Who opened a document: the principal, their browser, and the signer they view as."""

    principal: Principal
    user_agent: str
    role: str


class NotFound(LookupError):
    """No such document, or not this principal's to see: a 404."""


def _visible(principal: Principal, document: PreparerDocument) -> bool:
    if principal.is_staff:
        return True
    return document.sent_at is not None and document.superseded_at is None


# the newest sealed copy of document m: one probe of signed_copy's (document_id, id) index
NEWEST_COPY = "(SELECT MAX(c.id) FROM signed_copy c WHERE c.document_id = m.id)"


def _for_taxpayer(sql: Sql, what: str, portal_id: int) -> str:
    """Sent, not deleted documents of the portal's return that are current or were signed.
    Plain SQL: these are read on every visit of Home and "Files From My Preparer"."""
    return (
        f"SELECT {what} FROM preparer_document m "  # noqa: S608
        "JOIN portal p ON p.tax_return_id = m.tax_return_id "
        f"WHERE p.id = {sql.param(portal_id)} AND m.sent_at IS NOT NULL "
        f"AND m.deleted_at IS NULL AND (m.superseded_at IS NULL OR {NEWEST_COPY} IS NOT NULL)"
    )


@dataclass(frozen=True, slots=True)
class ListedDocument:
    """What the list shows of a document (not a model: built straight from the row)."""

    id: int
    file_name: str
    sent_at: dt.datetime | None
    superseded_at: dt.datetime | None


@dataclass(frozen=True)
class Listed:
    """A row of "Files From My Preparer": the document, and its newest signed copy's id."""

    document: ListedDocument
    signed_copy_id: int | None

    @property
    def superseded(self) -> bool:
        return self.document.superseded_at is not None


async def sent_to(principal: Principal, portal_id: int) -> list[ListedDocument]:
    """The documents the taxpayer of ``portal_id`` sees, newest first (``listed``'s)."""
    return [row.document for row in await listed(principal, portal_id)]


async def listed(principal: Principal, portal_id: int) -> list[Listed]:
    """What the taxpayer of ``portal_id`` sees in "Files From My Preparer", newest first:
    one statement, the newest signed copy of each included."""
    await check(principal, "list", "document", portal_id=portal_id)
    sql = Sql(bounded=True)
    what = f"m.id, m.file_name, m.sent_at, m.superseded_at, {NEWEST_COPY} AS signed_copy_id"
    statement = _for_taxpayer(sql, what, portal_id) + " ORDER BY m.sent_at DESC, m.id DESC"
    return [
        Listed(
            ListedDocument(
                row["id"],
                row["file_name"],
                timestamp(row["sent_at"]),
                timestamp(row["superseded_at"]),
            ),
            int(row["signed_copy_id"]) if row["signed_copy_id"] is not None else None,
        )
        for row in await sql.rows(statement)
    ]


async def sent_count(principal: Principal) -> int:
    """Home's card: a plain COUNT scoped to the principal's own ``portal_id`` (staff and a
    taxpayer without a portal get 0). It is the one read here without ``check``: it can only
    count the asker's own portal, hands out no file, and Home must not write an activity
    entry on every visit."""
    if principal.portal_id is None:
        return 0
    sql = Sql(bounded=True)
    return await count(f"SELECT ({count_sql(sql, principal.portal_id)}) AS n", sql)


def count_sql(sql: Sql, portal_id: int) -> str:
    """The statement counting what ``listed`` lists, for ``sent_count`` and for Home's
    cards (``accounts.home``), which read both counts in one statement."""
    return _for_taxpayer(sql, "COUNT(*)", portal_id)


async def open_document(
    core: Core,
    principal: Principal,
    document_id: int,
    *,
    return_id: int | None = None,
    user_agent: str = "",
    signer: str = "taxpayer",
) -> tuple[PreparerDocument, AsyncIterator[bytes]]:
    """The row and its bytes (streamed) for View; a taxpayer's first View is recorded, and
    each signer's first View of a document they were asked to sign is added to its signing
    record (a gate of Sign). ``signer`` is who views: "spouse" counts only while the
    spouse's own identity check holds (else the account holder viewed it).
    ``return_id`` pins the document to a return (the console's URL names both)."""
    document = await PreparerDocument.get_or_none(id=document_id, deleted_at__isnull=True)
    try:
        if document is None:  # logged against the asker's own portal (or the URL's return)
            await check(
                principal,
                "read",
                "document",
                portal_id=principal.portal_id,
                file_id=document_id,
                return_id=return_id,
                found=False,
            )
        assert document is not None  # check raised otherwise
        real_return: int = document.tax_return_id  # type: ignore[attr-defined]
        # checked against the document's real return and portal; a document the taxpayer
        # may not see yet is checked as nobody's: denied and logged
        portal_id = await portal_id_of(real_return)
        await check(
            principal,
            "read",
            "document",
            portal_id=portal_id if _visible(principal, document) else None,
            file_id=document.id,
            return_id=real_return,
            found=return_id is None or real_return == return_id,
        )
    except Denied:
        raise NotFound(document_id) from None
    if core.plugins.storage is None:
        raise NotFound(document_id)
    chunks = core.plugins.storage.get(document.storage_key)
    if principal.kind == "taxpayer":  # the first View, and each signer's own first View
        role = "taxpayer"
        if signer == "spouse" and portal_id is not None:
            if await identity.passed_for_signing(core, portal_id, "spouse"):
                role = "spouse"
        viewer = Viewer(principal, user_agent, role)
        return document, _viewed_when_read(core, portal_id, document, chunks, viewer)
    return document, chunks


async def _viewed_when_read(
    core: Core,
    portal_id: int | None,
    document: PreparerDocument,
    chunks: AsyncIterator[bytes],
    viewer: Viewer,
) -> AsyncIterator[bytes]:
    """A View is recorded when the bytes start to be read: not by a HEAD."""
    now = dt.datetime.now(dt.UTC)
    first = await PreparerDocument.filter(id=document.id, viewed_at__isnull=True).update(
        viewed_at=now
    )
    # this signer's first View of a document they were asked to sign: one, however many race
    own = await SignatureRequest.filter(
        document_id=document.id, signer=viewer.role, viewed_at__isnull=True
    ).update(viewed_at=now)
    if own:
        await records.append(
            document.id,
            Kind.VIEWED,
            role=viewer.role,
            actor=viewer.principal.actor,
            ip=viewer.principal.address,
            user_agent=viewer.user_agent,
        )
    if first and portal_id is not None:  # one event, however many Views race
        await core.plugins.emit(DocumentViewed(portal_id, document.id))
    async for chunk in chunks:
        yield chunk
