"""The jobs that deliver what Send link could not: an invitation and a sign-in reminder.

A job holds ids only. It reads the return's contact when it runs (the preparer may have
fixed it meanwhile), and an invitation gets a new token then: the first one was never
delivered and never kept, so no link is ever stored. A ``DeliveryError`` makes the job
try again later (with back-off, until its last attempt shows on the console's Jobs page).
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from typing import Any

from taxportal.context import Core
from taxportal.contracts import JobHandler
from taxportal.crypto import token_digest
from taxportal.models import Invitation, Portal, TaxpayerAccount
from taxportal.services.accounts import portals
from taxportal.services.messages import contact_of, invitation_message, sign_in_reminder_message


async def send_invitation(core: Core, payload: dict[str, Any]) -> None:
    invitation_id = int(payload["invitation_id"])
    open_ = {"sent_at__isnull": True, "voided_at__isnull": True, "used_at__isnull": True}
    invitation = await Invitation.get_or_none(id=invitation_id, **open_)
    if invitation is None:  # delivered, replaced by a newer link, or voided meanwhile
        return
    portal = await Portal.get(id=invitation.portal_id).prefetch_related("tax_return")  # type: ignore[attr-defined]
    now = dt.datetime.now(dt.UTC)
    if await TaxpayerAccount.exists(portal_id=portal.id):  # registered with an older link
        await Invitation.filter(id=invitation_id, **open_).update(voided_at=now)
        return
    tax_return, channel = portal.tax_return, invitation.channel
    token = secrets.token_urlsafe(32)
    ttl = dt.timedelta(days=core.config.core.invitations.ttl_days)
    renewed = await Invitation.filter(id=invitation_id, **open_).update(
        token_hash=token_digest(token),
        sent_to=contact_of(tax_return, channel),
        expires_at=now + ttl,
    )
    if not renewed:  # replaced between the read and now
        return
    link = f"{core.config.base_url}/invite/{token}"
    receipt = await core.plugins.notify(invitation_message(core, tax_return, channel, link))
    created = bool(payload.get("created", False))
    actor = str(payload.get("actor", ""))
    await portals.delivered(core, portal, invitation, created, receipt, actor=actor, retried=True)


async def send_reminder(core: Core, payload: dict[str, Any]) -> None:
    account = await TaxpayerAccount.get_or_none(id=int(payload["account_id"]))
    if account is None:
        return
    portal = await Portal.get(id=account.portal_id).prefetch_related("tax_return")  # type: ignore[attr-defined]
    channel = str(payload["channel"])
    message = sign_in_reminder_message(core, portal.tax_return, account, channel)
    receipt = await core.plugins.notify(message)
    actor = str(payload.get("actor", ""))
    await portals.reminded(portal, channel, receipt, actor=actor, retried=True)


def handlers(core: Core) -> list[JobHandler]:
    return [
        JobHandler(
            portals.INVITATION_RETRY, functools.partial(send_invitation, core), max_attempts=12
        ),
        JobHandler(portals.REMINDER_RETRY, functools.partial(send_reminder, core), max_attempts=12),
    ]
