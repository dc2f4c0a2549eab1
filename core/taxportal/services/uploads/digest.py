"""The preparer's email of clients' new uploads: one digest per client per hour at most.

A periodic job (``KIND``, one row for the whole site, ``ensure_scheduled``) calls
``send_due_digests`` every minute, in whichever server process claims it. A portal is
due when it has stored, unreviewed uploads not yet in a digest and its last digest is
older than an hour (or there was none). Each round claims a portal with a conditional
UPDATE of ``Portal.upload_digest_at``, so two rounds never both send; a failed send
gives the claim back and leaves the files un-notified, and the round fails so the job
retries with a back-off (shown on the console's Jobs page meanwhile).
The email names the client and the files, never an SSN.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from pathlib import Path
from typing import Any

import jinja2
from tortoise.expressions import Q

from taxportal.context import Core
from taxportal.contracts import DeliveryError, JobHandler, OutgoingMessage
from taxportal.jobs import schedule
from taxportal.models import Portal, UploadedFile
from taxportal.services import activity

log = logging.getLogger(__name__)
EVERY = dt.timedelta(hours=1)  # at most one digest per client in this time
CHECK = dt.timedelta(minutes=1)  # how often the job looks for due digests
KIND = "upload_digest"
# messages to staff are English, like the console (the folder's others are the taxpayers')
_TEMPLATES = Path(__file__).resolve().parent.parent / "message_templates" / "staff"
_env = jinja2.Environment(  # plain text only: nothing is escaped for HTML
    loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
    autoescape=False,  # noqa: S701
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def _new_files() -> Q:
    return Q(
        notified_at__isnull=True, reviewed_at__isnull=True, deleted_at__isnull=True, state="stored"
    )


def _due(now: dt.datetime) -> Q:
    return Q(upload_digest_at__isnull=True) | Q(upload_digest_at__lte=now - EVERY)


async def send_due_digests(core: Core, now: dt.datetime | None = None) -> int:
    """Send every due digest; returns how many were sent."""
    now = now or dt.datetime.now(dt.UTC)
    portal_ids = (
        await UploadedFile.filter(_new_files())
        .filter(
            Q(portal__upload_digest_at__isnull=True) | Q(portal__upload_digest_at__lte=now - EVERY)
        )
        .distinct()
        .values_list("portal_id", flat=True)
    )
    sent = 0
    undelivered: list[DeliveryError] = []
    for portal_id in sorted(set(portal_ids)):
        try:
            sent += await _send_one(core, int(portal_id), now)
        except DeliveryError as exc:  # given back: the job's retry sends it
            undelivered.append(exc)
        except Exception:  # one portal's trouble must not stop the others' digests
            log.exception("upload digest of portal %s failed", portal_id)
    if undelivered:
        raise DeliveryError(f"{len(undelivered)} digest(s) not sent: {undelivered[0]}")
    return sent


async def recipient(core: Core, portal: Portal) -> tuple[str, str]:
    """(address, who) for the digest: the preparer who made the portal if active and opted
    in ("staff:3"), else the firm's address ("firm"); ("", "") when there is neither."""
    staff = await portal.created_by if portal.created_by_id else None  # type: ignore[attr-defined]
    if staff is not None and staff.is_active and staff.notify_uploads:
        return staff.email, f"staff:{staff.id}"
    firm = core.config.core.firm.email.strip().lower()
    return (firm, "firm") if firm else ("", "")


async def _send_one(core: Core, portal_id: int, now: dt.datetime) -> int:
    portal = await Portal.get(id=portal_id).prefetch_related("tax_return")
    to, who = await recipient(core, portal)
    if not to:
        return 0
    # the claim: only one process (or call) moves the mark forward; the others see 0 rows
    claimed = await Portal.filter(_due(now), id=portal_id).update(upload_digest_at=now)
    if not claimed:
        return 0
    files = await UploadedFile.filter(_new_files(), portal_id=portal_id).order_by(
        "uploaded_at", "id"
    )
    if not files:  # reviewed between the look and the claim: nothing to tell
        await _give_back(portal, now)
        return 0
    try:
        receipt = await core.plugins.notify(_message(core, portal, files, to, who))
    except DeliveryError as exc:
        await _give_back(portal, now)
        log.warning("upload digest of portal %s not sent: %s", portal_id, exc)
        await activity.record(
            "upload_digest_failed",
            subject=f"portal:{portal_id}",
            recipient=who,
            reason=type(exc).__name__,
        )
        raise
    except BaseException:  # a bug, or cancelled at shutdown: retried later all the same
        await _give_back(portal, now)
        raise
    await UploadedFile.filter(id__in=[f.id for f in files], notified_at__isnull=True).update(
        notified_at=now
    )
    await activity.record(
        "upload_digest_sent",
        subject=f"portal:{portal_id}",
        recipient=who,
        file_ids=[f.id for f in files],
        notifier=receipt.notifier,
    )
    return 1


async def _give_back(portal: Portal, now: dt.datetime) -> None:
    """Undo the claim, so the next round (or another process) sends these files."""
    await Portal.filter(id=portal.id, upload_digest_at=now).update(
        upload_digest_at=portal.upload_digest_at
    )


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _message(
    core: Core, portal: Portal, files: list[UploadedFile], to: str, who: str
) -> OutgoingMessage:
    tax_return = portal.tax_return
    client = " ".join(p for p in (tax_return.first_name, tax_return.last_name) if p)
    firm = core.config.core.firm.name
    text = _env.get_template("upload_digest.email.txt").render(
        client=client,
        files=[{"name": f.file_name, "size": _size(f.size)} for f in files],
        link=f"{core.config.base_url}/staff/returns/{tax_return.id}/uploads",
        firm=firm,
        to_firm=who == "firm",
    )
    count = len(files)
    return OutgoingMessage(
        channel="email",
        to=to,
        subject=f"{client}: {count} new upload{'' if count == 1 else 's'}",
        text=text,
        sender_name=firm,
        purpose="upload_digest",
        language="en",
    )


async def _round(core: Core, payload: dict[str, Any]) -> None:
    await send_due_digests(core)


def handler(core: Core) -> JobHandler:
    return JobHandler(KIND, functools.partial(_round, core), max_attempts=8)


async def ensure_scheduled() -> None:
    """The one periodic digest job of the site (its key keeps it one across processes)."""
    await schedule(KIND, {}, dt.datetime.now(dt.UTC) + CHECK, key=KIND, every=CHECK, max_attempts=8)
