"""Reminding a signer whose signature a sent document still waits for.

Two ways, one rule: each reminder is decided by one conditional UPDATE of the request's
``reminded_at`` (still pending, and not reminded within the interval), so two clicks, two
rounds or two processes never both send. The message goes to the taxpayer (the portal's
account holder) by their channel, in their language, through ``documents.notice`` (a
failed delivery is retried by its job, the claim kept); each reminded request gets a
``reminded`` event on its document's chain.

- **Remind** (the console, ``remind``): one signer of one document; refused within
  ``MANUAL_GAP`` of the last reminder.
- **Automatic** (``send_due_reminders``, a periodic job of the site): every pending
  signer of a current sent document sent, or last reminded, more than ``[signing]
  reminder_days`` ago (0: off); at most one message per portal per round, however many
  documents and signers it reminds of; never a signer told to sign on paper.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q

from taxportal.context import Core
from taxportal.contracts import JobHandler
from taxportal.jobs.schedule import schedule
from taxportal.models import IdentityCheck, SignatureRequest, TaxReturn
from taxportal.services.documents.access import Principal, portal_id_of
from taxportal.services.documents.notice import Notice, remind_taxpayer
from taxportal.services.documents.preparer import NotFound, checked_document
from taxportal.services.signing import consent, records
from taxportal.services.signing.kinds import Kind, Role

log = logging.getLogger(__name__)
KIND = "signing_reminders"
CHECK = dt.timedelta(minutes=10)  # how often the job looks for due reminders
MANUAL_GAP = dt.timedelta(hours=1)  # Remind again for the same signer after this
BATCH = 500  # requests looked at per round; the next round takes the rest

__all__ = ["NotFound", "Reminded", "ReminderRefused", "remind", "send_due_reminders"]


class ReminderRefused(Exception):
    """No reminder went out; ``message`` says why, for the preparer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Reminded:
    """A reminder that went out (``notice.channel``) or that a job keeps trying
    (``notice.retrying``)."""

    notice: Notice


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _due(cutoff: dt.datetime) -> Q:
    return Q(reminded_at__isnull=True) | Q(reminded_at__lte=cutoff)


async def remind(
    core: Core, principal: Principal, return_id: int, document_id: int, role: str
) -> Reminded:
    """The console's Remind for ``role`` on ``document_id``: ``NotFound``, ``Denied`` or
    ``ReminderRefused`` (nothing pending, reminded within the hour, no contact)."""
    tax_return, portal_id, document = await checked_document(
        principal, "send", return_id, document_id
    )
    request = await SignatureRequest.get_or_none(document_id=document.id, signer=role)
    if request is None or document.sent_at is None or portal_id is None:
        raise NotFound(document_id)
    if request.status != "pending" or document.superseded_at is not None:
        raise ReminderRefused(f"Nothing to remind: the {role}'s signature is not waiting.")
    now = _now()
    claimed = await SignatureRequest.filter(
        _due(now - MANUAL_GAP), id=request.id, status="pending"
    ).update(reminded_at=now)
    if not claimed:
        raise await _refusal(request.id, role)
    notice = await remind_taxpayer(
        core,
        principal.actor,
        principal.address,
        tax_return,
        portal_id,
        (role,),
        {request.id: document.id},
    )
    if not notice.channel and not notice.retrying:  # nobody to tell: the claim goes back
        await SignatureRequest.filter(id=request.id, reminded_at=now).update(
            reminded_at=request.reminded_at
        )
        raise ReminderRefused(notice.problem)
    await _record(request.id, document.id, notice, Role.PREPARER, principal, "preparer")
    return Reminded(notice)


async def _refusal(request_id: int, role: str) -> ReminderRefused:
    """Why the claim found nothing: signed or voided meanwhile, or reminded lately (said
    with the time the next reminder may go)."""
    request = await SignatureRequest.get(id=request_id)
    if request.status != "pending" or request.reminded_at is None:
        return ReminderRefused(f"Nothing to remind: the {role}'s signature is not waiting.")
    after = request.reminded_at + MANUAL_GAP
    return ReminderRefused(
        f"The {role} was reminded at {request.reminded_at:%H:%M} UTC: another reminder can "
        f"go after {after:%H:%M} UTC."
    )


async def _record(
    request_id: int,
    document_id: int,
    notice: Notice,
    role: Role,
    principal: Principal | None,
    reason: str,
) -> None:
    details: dict[str, Any] = {"request_id": request_id, "reason": reason}
    channel = notice.channel or notice.retrying
    if channel:
        details["channel"] = channel
    await records.append(
        document_id,
        Kind.REMINDED,
        role=role,
        actor=principal.actor if principal is not None else "system",
        ip=principal.address if principal is not None else "",
        user_agent="",
        details=details,
    )


# --- the automatic reminder --------------------------------------------------------------


async def send_due_reminders(core: Core, now: dt.datetime | None = None) -> int:
    """Remind every due signer (see the module): how many messages went out or are retried."""
    days = core.config.core.signing.reminder_days
    if days <= 0:
        return 0
    now = now or _now()
    cutoff = now - dt.timedelta(days=days)
    due = (
        await SignatureRequest.filter(
            _due(cutoff),
            status="pending",
            document__sent_at__lte=cutoff,
            document__superseded_at__isnull=True,
            document__deleted_at__isnull=True,
        )
        .order_by("id")
        .limit(BATCH)
        .values("id", "signer", "document_id", "document__tax_return_id")
    )
    by_return: dict[int, list[dict[str, Any]]] = {}
    for row in due:
        by_return.setdefault(int(row["document__tax_return_id"]), []).append(row)
    sent = 0
    for return_id, rows in by_return.items():
        try:
            sent += await _remind_return(core, return_id, rows, cutoff, now)
        except Exception:  # one client's trouble must not stop the others' reminders
            log.exception("signing reminder of return %s failed", return_id)
    return sent


async def _remind_return(
    core: Core, return_id: int, rows: list[dict[str, Any]], cutoff: dt.datetime, now: dt.datetime
) -> int:
    """Claim each due request of one return (one conditional UPDATE each), then one message
    for the ones this round claimed. The lowest id is claimed first and decides: a round
    that loses it leaves the whole return to the round that won it, so two processes never
    split one portal's requests between two messages."""
    tax_return = await TaxReturn.get_or_none(id=return_id)
    portal_id = await portal_id_of(return_id)
    if tax_return is None or portal_id is None:
        return 0
    paper = await _on_paper(portal_id, {row["signer"] for row in rows})
    claimed = []
    for row in sorted(rows, key=lambda row: int(row["id"])):
        if row["signer"] in paper:
            continue
        if await SignatureRequest.filter(_due(cutoff), id=row["id"], status="pending").update(
            reminded_at=now
        ):
            claimed.append(row)
        elif not claimed:  # another round has this portal
            return 0
    if not claimed:  # every due signer is on paper
        return 0
    roles = tuple(dict.fromkeys(row["signer"] for row in claimed))
    requests = {int(row["id"]): int(row["document_id"]) for row in claimed}
    notice = await remind_taxpayer(core, "system", "", tax_return, portal_id, roles, requests)
    if not notice.channel and not notice.retrying:  # no contact: tried again in N days
        return 0
    for row in claimed:
        await _record(row["id"], row["document_id"], notice, Role.NONE, None, "automatic")
    return 1


async def _on_paper(portal_id: int, roles: set[str]) -> set[str]:
    """The signers told to sign on paper (identity checks locked, or e-signing declined or
    withdrawn): no automatic reminder asks them to sign here."""
    paper = set(
        await IdentityCheck.filter(
            portal_id=portal_id, role__in=sorted(roles), locked_at__isnull=False
        ).values_list("role", flat=True)
    )
    for role in roles - paper:
        newest = await consent.current(portal_id, role)
        if newest is not None and newest.decision != "accepted":
            paper.add(role)
    return paper


async def _round(core: Core, payload: dict[str, Any]) -> None:
    await send_due_reminders(core)


def handler(core: Core) -> JobHandler:
    return JobHandler(KIND, functools.partial(_round, core), max_attempts=8)


async def ensure_scheduled() -> None:
    """The one periodic reminder job of the site (its key keeps it one across processes)."""
    await schedule(KIND, {}, _now() + CHECK, key=KIND, every=CHECK, max_attempts=8)
