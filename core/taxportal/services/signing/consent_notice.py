"""Telling the preparer that a signer declined or withdrew the electronic-records consent.

The email goes to the staff member who created the portal (else, when that account is gone,
to every active admin), in English. A mail server that is down does not lose it: a
``consent_notice`` job (the consent's id only) sends it later.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import jinja2

from taxportal.context import Core
from taxportal.contracts import DeliveryError, JobHandler
from taxportal.jobs import schedule
from taxportal.models import Portal, SigningConsent
from taxportal.services import activity
from taxportal.services.notices import Notice, notify_staff, staff_of_portal

KIND = "consent_notice"
_env = jinja2.Environment(  # plain text only: nothing is escaped for HTML
    loader=jinja2.FileSystemLoader(
        str(Path(__file__).resolve().parents[1] / "message_templates" / "staff")
    ),
    autoescape=False,  # noqa: S701
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


async def tell_preparer(core: Core, consent_id: int) -> None:
    """Send the notice now; on a delivery failure queue the job that retries it."""
    try:
        await _send(core, consent_id)
    except DeliveryError as exc:
        await schedule(
            KIND,
            {"consent_id": consent_id},
            dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30),
            key=f"{KIND}:{consent_id}",
        )
        await activity.record(
            "signing_consent_notice_failed",
            subject=f"consent:{consent_id}",
            reason=type(exc).__name__,
            retrying=True,
        )


async def _send(core: Core, consent_id: int) -> None:
    consent = await SigningConsent.get_or_none(id=consent_id)
    if consent is None:
        return
    portal = await Portal.get_or_none(id=consent.portal_id).prefetch_related("tax_return")
    if portal is None:  # the client was removed meanwhile: nobody to tell about them
        return
    recipients = await _recipients(portal)
    tax_return = portal.tax_return
    client = " ".join(p for p in (tax_return.first_name, tax_return.last_name) if p)
    text = _env.get_template("consent_declined.email.txt").render(
        client=client,
        tax_year=tax_return.tax_year,
        decision=consent.decision,
        role=consent.role,
        firm=core.config.core.firm.name,
        link=f"{core.config.base_url}/staff/returns/{tax_return.id}/edit",
    )
    verb = "withdrew e-sign consent" if consent.decision == "withdrawn" else "will sign on paper"
    notice = Notice(text=text, subject=f"{client}: {verb}")
    for staff_id in recipients:
        receipt = await notify_staff(core, staff_id, lambda _l, _c: notice, purpose=KIND)
        await activity.record(
            "signing_consent_preparer_told",
            subject=f"portal:{portal.id}",
            staff_id=staff_id,
            consent_id=consent.id,
            notifier=receipt.notifier,
        )


async def _recipients(portal: Portal) -> list[int]:
    return await staff_of_portal(portal.id)


async def _retry(core: Core, payload: dict[str, Any]) -> None:
    await _send(core, int(payload["consent_id"]))  # a DeliveryError: the job retries


def handler(core: Core) -> JobHandler:
    return JobHandler(KIND, functools.partial(_retry, core), max_attempts=10)
