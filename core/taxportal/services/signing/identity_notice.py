"""Telling the preparer that e-signing stopped for a signer (identity checks failed).

The attempt that locked the signer (one per lock: ``identity.answer``) queues a job of ids
only, so the locking request waits for no notifier, a stopping or crashing server loses no
notice, and a notifier that is down is retried. The preparer is the portal's creator; the
text is English (the console's language) and holds no answer, fact or code.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from taxportal.context import Core
from taxportal.contracts import JobHandler
from taxportal.jobs import schedule
from taxportal.models import Portal
from taxportal.services import activity, notices

log = logging.getLogger(__name__)
KIND = "signing_identity_locked"


async def signer_locked(portal_id: int, role: str) -> None:
    """Queue the notice (one per portal and role: a second lock queues nothing new)."""
    await schedule(KIND, {"portal": portal_id, "role": role}, key=f"{KIND}:{portal_id}:{role}")


async def tell(core: Core, payload: dict[str, Any]) -> None:
    """The job: a ``DeliveryError`` leaves it to be tried again later."""
    portal_id, role = int(payload["portal"]), str(payload["role"])
    portal = await Portal.get_or_none(id=portal_id).prefetch_related("tax_return")
    if portal is None:
        return
    staff_id = portal.created_by_id  # type: ignore[attr-defined]
    if staff_id is None:
        log.warning("portal %s: identity check locked; no preparer to tell", portal_id)
        return
    signer = "the spouse" if role == "spouse" else "the taxpayer"
    client = f"{portal.tax_return.first_name} {portal.tax_return.last_name}".strip()

    def compose(language: str, channel: str) -> notices.Notice:
        return notices.Notice(
            subject=f"E-signing stopped for {client}",
            text=(
                f"The identity check at signing failed too many times for {signer} of "
                f"{client}'s return (portal {portal_id}). E-signing is stopped for "
                f"{signer}, who was told to sign on paper. No answers are kept.\n"
            ),
        )

    await notices.notify_staff(core, staff_id, compose, purpose=KIND)
    await activity.record(
        "signing_identity_preparer_told", subject=f"portal:{portal_id}", role=role
    )


def handler(core: Core) -> JobHandler:
    return JobHandler(KIND, functools.partial(tell, core), max_attempts=10)
