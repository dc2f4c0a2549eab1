"""The taxpayer's side of "Files From My Preparer": the list, the count, and opening a file.

A taxpayer sees a document once it is sent, until a newer version supersedes it; staff see
every document of a return that was not deleted. Each read goes through the access check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from tortoise.queryset import QuerySet

from taxportal.context import Core
from taxportal.models import Portal, PreparerDocument
from taxportal.services.document_access import Denied, Principal, check


class NotFound(LookupError):
    """No such document, or not this principal's to see: a 404."""


async def portal_id_of(return_id: int) -> int | None:
    """The portal of a return, None while it has none (documents can be added before)."""
    ids = await Portal.filter(tax_return_id=return_id).limit(1).values_list("id", flat=True)
    return int(ids[0]) if ids else None


def _visible(principal: Principal, document: PreparerDocument) -> bool:
    if principal.is_staff:
        return True
    return document.sent_at is not None and document.superseded_at is None


def _for_taxpayer(portal_id: int) -> QuerySet[PreparerDocument]:
    """Sent, not superseded, not deleted documents of the portal's return."""
    return PreparerDocument.filter(
        tax_return__portal__id=portal_id,
        sent_at__isnull=False,
        superseded_at__isnull=True,
        deleted_at__isnull=True,
    )


async def sent_to(principal: Principal, portal_id: int) -> list[PreparerDocument]:
    """What the taxpayer of ``portal_id`` sees in "Files From My Preparer", newest first."""
    await check(principal, "list", "document", portal_id=portal_id)
    return await _for_taxpayer(portal_id).order_by("-sent_at", "-id")


async def sent_count(principal: Principal) -> int:
    """Home's card: counted only for the asker's own portal, so no check is needed (and the
    activity log is not filled with an entry per Home visit)."""
    if principal.portal_id is None:
        return 0
    return await _for_taxpayer(principal.portal_id).count()


async def open_document(
    core: Core, principal: Principal, document_id: int, *, return_id: int | None = None
) -> tuple[PreparerDocument, AsyncIterator[bytes]]:
    """The row and its bytes (streamed) for View; a taxpayer's first View is recorded.
    ``return_id`` pins the document to a return (the console's URL names both)."""
    document = await PreparerDocument.get_or_none(id=document_id, deleted_at__isnull=True)
    if document is None or (return_id is not None and document.tax_return_id != return_id):  # type: ignore[attr-defined]
        raise NotFound(document_id)
    portal_id = await portal_id_of(document.tax_return_id)  # type: ignore[attr-defined]
    try:
        # a document the taxpayer may not see yet is checked as nobody's: denied and logged
        await check(
            principal,
            "read",
            "document",
            portal_id=portal_id if _visible(principal, document) else None,
            file_id=document.id,
            return_id=document.tax_return_id,  # type: ignore[attr-defined]
        )
    except Denied:
        raise NotFound(document_id) from None
    if core.plugins.storage is None:
        raise NotFound(document_id)
    if principal.kind == "taxpayer" and document.viewed_at is None:
        document.viewed_at = dt.datetime.now(dt.UTC)
        await PreparerDocument.filter(id=document.id, viewed_at__isnull=True).update(
            viewed_at=document.viewed_at
        )
    return document, core.plugins.storage.get(document.storage_key)
