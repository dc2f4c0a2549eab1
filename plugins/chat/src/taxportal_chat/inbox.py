"""The firm's inbox: every conversation, newest first, with its client and the taxpayer's
messages the firm has not read; searched by client through the core's client search."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from taxportal.api import Core, PortalClient, clients_of_portals, find_client_portals
from taxportal_chat import conversation
from taxportal_chat.models import ChatConversation

SEARCH_LIMIT = 1000  # clients a search may match; past it the preparer adds a word


@dataclass(frozen=True)
class InboxRow:
    portal_id: int
    client: PortalClient | None  # None: the return was removed since
    last_posted_at: dt.datetime | None
    last_author: str
    unread: int


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    per_page: int
    too_many: bool  # the search matched more clients than SEARCH_LIMIT

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


async def page(core: Core, search: str, page: int, per_page: int) -> InboxPage:
    """One page of conversations (four statements: the search, the count, the page, the
    unread counts and the clients)."""
    query = ChatConversation.filter(last_message_id__gt=0)
    too_many = False
    if search.strip():
        found = await find_client_portals(core, search, SEARCH_LIMIT + 1)
        too_many = len(found) > SEARCH_LIMIT
        if not found:
            return InboxPage([], 0, 1, per_page, False)
        query = query.filter(portal_id__in=found[:SEARCH_LIMIT])
    total = await query.count()
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    rows = (
        await query.order_by("-last_posted_at", "-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .values("portal_id", "last_posted_at", "last_author")
    )
    ids = [int(row["portal_id"]) for row in rows]
    unread = await conversation.unread_for_staff(ids)
    clients = await clients_of_portals(ids)
    shown = [
        InboxRow(
            portal_id=pid,
            client=clients.get(pid),
            last_posted_at=row["last_posted_at"],
            last_author=row["last_author"],
            unread=unread.get(pid, 0),
        )
        for pid, row in zip(ids, rows, strict=True)
    ]
    return InboxPage(shown, total, page, per_page, too_many)
