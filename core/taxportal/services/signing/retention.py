"""How long a signed document is kept: nothing in the product removes or replaces it sooner.

The IRS has the preparer keep a signed Form 8879 three years from the return's due date
or the date the IRS received it, whichever is later (COMPLIANCE item 3). Here a document
with a signed copy is kept until the later of its return's due date (April 15 after the
tax year) and the day of its newest signing, plus ``[signing] retention_years`` (3, never
fewer). The signing day is a floor that no later edit of the return's tax year can move
back. Sending a new version (supersede) is allowed: the signed old version stays, and
both sides can still download it.

``guard`` is what every path that deletes or overwrites a document's bytes or row asks
first; ``held_by_copy`` what a path deleting bytes under a storage key asks (the sign
step's clean-up, the sweep of lost signings), so the bytes of a signed copy are never
taken for a leftover.
"""

from __future__ import annotations

import datetime as dt

from taxportal.context import Core
from taxportal.models import SignedCopy

DUE_MONTH, DUE_DAY = 4, 15


def due_date(tax_year: int) -> dt.date:
    """The return's due date: April 15 of the year after the tax year."""
    return dt.date(tax_year + 1, DUE_MONTH, DUE_DAY)


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # February 29 in a year that has none
        return day.replace(year=day.year + years, day=28)


def kept_until(tax_year: int, last_signed: dt.date, years: int) -> dt.date:
    """The first day the document may go: the later of the due date and the newest
    signing, plus ``years``."""
    start = max(due_date(min(max(tax_year, 1), 9998)), last_signed)
    return _plus_years(start, years)


def years(core: Core) -> int:
    return core.config.core.signing.retention_years


def long_date(day: dt.date) -> str:
    """``April 15, 2029``, as the messages to the preparer (English) write it."""
    return f"{day:%B} {day.day}, {day.year}"


class Retained(Exception):
    """The document has a signed copy and is kept until ``until``: it cannot be removed or
    replaced before then. ``message`` says so, for the preparer or the API client."""

    def __init__(self, document_id: int, file_name: str, until: dt.date) -> None:
        self.document_id = document_id
        self.until = until
        self.message = (
            f"{file_name} has a signed copy: it is kept until {long_date(until)} "
            "and cannot be removed or replaced before then."
        )
        super().__init__(self.message)


def copy_kept_until(core: Core, tax_year: int, newest: SignedCopy | None) -> dt.date | None:
    """The day a document whose newest signed copy is ``newest`` may go (None: no copy)."""
    if newest is None:
        return None
    return kept_until(tax_year, newest.created_at.astimezone(dt.UTC).date(), years(core))


async def retained_until(core: Core, document_id: int) -> dt.date | None:
    """The day a document with a signed copy may go; None when it has no signed copy."""
    rows = (
        await SignedCopy.filter(document_id=document_id)
        .order_by("-id")
        .limit(1)
        .values_list("created_at", "document__tax_return__tax_year")
    )
    if not rows:
        return None
    signed_at, tax_year = rows[0]
    return kept_until(int(tax_year), signed_at.astimezone(dt.UTC).date(), years(core))


async def guard(
    core: Core, document_id: int, file_name: str, *, today: dt.date | None = None
) -> None:
    """``Retained`` when the document has a signed copy and its date has not come."""
    until = await retained_until(core, document_id)
    if until is not None and (today or dt.datetime.now(dt.UTC).date()) < until:
        raise Retained(document_id, file_name, until)


async def held_by_copy(storage_key: str) -> bool:
    """Whether a signed copy's row names these bytes: then nothing may delete them."""
    return await SignedCopy.filter(storage_key=storage_key).exists()
