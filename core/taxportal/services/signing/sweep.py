"""Lost signings: a signing whose process died between the claim and the finish.

Its lease (``preparer_document.signing_until``, ``[signing] lease_seconds``) runs out; the
next Sign then clears it as this job would (``clear``) and claims the document. This
periodic job (one row for the whole site, by its key) removes the
bytes such a signing may have stored under its key and clears the lease, each document in
one conditional UPDATE on the key it saw, so a signing that claimed the document since is
never touched. Bytes a signed copy's row names are never removed (``retention``). No
request changes: a request is signed only with its copy, in one transaction, so a lost
signing leaves it pending.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any

from taxportal.context import Core
from taxportal.contracts import JobHandler
from taxportal.jobs.schedule import schedule
from taxportal.models import PreparerDocument
from taxportal.services.signing import retention

log = logging.getLogger(__name__)
KIND = "signing_sweep"
EVERY = dt.timedelta(minutes=1)
BATCH = 100


async def sweep(core: Core) -> int:
    """Clear the lapsed leases (and their copies' bytes): how many were cleared."""
    now = dt.datetime.now(dt.UTC)
    lapsed = (
        await PreparerDocument.filter(signing_until__lt=now, signing_key__isnull=False)
        .limit(BATCH)
        .values_list("id", "signing_key")
    )
    cleared = 0
    for document_id, key in lapsed:
        cleared += await clear(core, document_id, key, now)
    if cleared:
        log.info("cleared %s lapsed signing(s)", cleared)
    return cleared


async def clear(core: Core, document_id: int, key: str, now: dt.datetime) -> int:
    """Remove the bytes of the signing ``key`` of ``document_id``, whose lease lapsed before
    ``now``, then its lease, in one conditional UPDATE on that key: 1 when cleared here.
    Also run by a Sign that finds the lease lapsed, before it claims the document: its own
    key would replace this one, and the sweep would never see these bytes again."""
    # a signing that finished keeps its copy under this key: never taken for a leftover
    if core.plugins.storage is not None and not await retention.held_by_copy(key):
        # before the lease goes: a failure raises, and the job runs again later
        await core.plugins.storage.delete(key)
    return await PreparerDocument.filter(
        id=document_id, signing_key=key, signing_until__lt=now
    ).update(signing_key=None, signing_until=None)


async def _round(core: Core, payload: dict[str, Any]) -> None:
    await sweep(core)


def handler(core: Core) -> JobHandler:
    return JobHandler(KIND, functools.partial(_round, core), max_attempts=8)


async def ensure_scheduled() -> None:
    """The one periodic sweep of the site (its key keeps it one across processes)."""
    await schedule(KIND, {}, dt.datetime.now(dt.UTC) + EVERY, key=KIND, every=EVERY)
