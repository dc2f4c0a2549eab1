"""Telling the taxpayer that documents are waiting, by the channel they chose, in their language.

Two messages: documents were sent (``notify_taxpayer``), and documents still wait for a
signature (``remind_taxpayer``: the console's Remind and the automatic reminder,
``services/signing/reminders.py``). The message goes to the email or mobile phone the
preparer put on the return (as security codes do), never to an address a registrant
typed. It carries a link to the portal page and nothing secret. A failed delivery never
undoes a send or a reminder: a job (``RETRY_KIND``) keeps trying with a back-off, and the
preparer is told so.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from taxportal.context import Core
from taxportal.contracts import DeliveryError, JobHandler
from taxportal.jobs import schedule
from taxportal.models import SignatureRequest, TaxpayerAccount, TaxReturn
from taxportal.services import activity
from taxportal.services.documents.access import Principal
from taxportal.services.messages import (
    contact_of,
    documents_message,
    notice_language,
    signing_reminder_message,
)
from taxportal.services.returns.fields import has_spouse

CHANNELS = ("email", "sms")
RETRY_KIND = "documents_notice"


@dataclass(frozen=True)
class Notice:
    """How a send was told: ``channel`` ("" when not yet), ``problem`` for the preparer,
    ``retrying``: the channel a job keeps trying after a failed delivery."""

    channel: str
    problem: str = ""
    retrying: str = ""


class ChannelError(ValueError):
    """The taxpayer's choice of channel was not one of the offered ones."""


def pick_channel(tax_return: TaxReturn, account: TaxpayerAccount | None) -> str:
    """The chosen channel ("email" unless the account says "sms"), or the other one when the
    return has no contact for it; "" when it has neither."""
    wanted = account.notify_channel if account and account.notify_channel in CHANNELS else "email"
    other = "sms" if wanted == "email" else "email"
    for channel in (wanted, other):
        if contact_of(tax_return, channel):
            return channel
    return ""


async def notify_taxpayer(
    core: Core, principal: Principal, tax_return: TaxReturn, portal_id: int, count: int, sign: bool
) -> Notice:
    """One message for one send action: the channel used, or why not and what is retried."""
    account = await TaxpayerAccount.get_or_none(portal_id=portal_id)
    channel = pick_channel(tax_return, account)
    subject = f"portal:{portal_id}"
    if not channel:
        await activity.record(
            "documents_not_notified",
            actor=principal.actor,
            subject=subject,
            address=principal.address,
            reason="no_contact",
        )
        return Notice("", "The taxpayer was not told: the return has no email or mobile phone.")
    payload = {"return_id": tax_return.id, "portal_id": portal_id, "count": count, "sign": sign}
    return await _deliver(core, principal.actor, principal.address, tax_return, account, payload)


async def remind_taxpayer(
    core: Core,
    actor: str,
    address: str,
    tax_return: TaxReturn,
    portal_id: int,
    roles: tuple[str, ...],
    requests: dict[int, int],
) -> Notice:
    """One reminder that documents still wait for ``roles``' signatures (``requests``: the
    reminded signature requests' ids -> their document ids), to the taxpayer (the portal's
    account holder) by their channel, in their language; handled as a send's notice is
    (no contact: a ``problem``; a failed delivery: retried by a job, which drops the
    requests signed or voided meanwhile)."""
    account = await TaxpayerAccount.get_or_none(portal_id=portal_id)
    channel = pick_channel(tax_return, account)
    if not channel:
        await activity.record(
            "signing_reminder_not_sent",
            actor=actor,
            subject=f"portal:{portal_id}",
            address=address,
            reason="no_contact",
        )
        return Notice("", "The taxpayer was not reminded: the return has no email or mobile phone.")
    payload = {
        "return_id": tax_return.id,
        "portal_id": portal_id,
        "count": len(set(requests.values())),
        "reminder": [r for r in roles if r in ("taxpayer", "spouse")],
        "requests": sorted(requests),
    }
    return await _deliver(core, actor, address, tax_return, account, payload)


def _message(
    core: Core, tax_return: TaxReturn, account: TaxpayerAccount | None, payload: dict[str, Any]
) -> tuple[str, Any]:
    """The channel and the message a payload asks for: a send's notice or a reminder."""
    channel = pick_channel(tax_return, account)
    to, language = contact_of(tax_return, channel), notice_language(tax_return, account)
    count = int(payload.get("count", 1))
    if "reminder" in payload:
        roles = payload["reminder"]
        joint = has_spouse(tax_return.spouse_first_name, tax_return.spouse_last_name)
        names = [
            tax_return.first_name if role == "taxpayer" else tax_return.spouse_first_name
            for role in ("taxpayer", "spouse")
            if role in roles
        ]
        return channel, signing_reminder_message(
            core,
            channel,
            to,
            language,
            first_name=tax_return.first_name,
            count=count,
            names=[n for n in names if n.strip()] if joint else [],
        )
    return channel, documents_message(
        core,
        channel,
        to,
        language,
        first_name=tax_return.first_name,
        count=count,
        sign=bool(payload.get("sign", False)),
    )


async def _deliver(
    core: Core,
    actor: str,
    address: str,
    tax_return: TaxReturn,
    account: TaxpayerAccount | None,
    payload: dict[str, Any],
) -> Notice:
    """Send the payload's message now; a refused delivery becomes a ``RETRY_KIND`` job."""
    channel, message = _message(core, tax_return, account, payload)
    portal_id = int(payload["portal_id"])
    subject = f"portal:{portal_id}"
    reminder = "reminder" in payload
    try:
        receipt = await core.plugins.notify(message)
    except DeliveryError as exc:
        # ids only: the job reads the contact and language again when it runs
        await schedule(RETRY_KIND, payload, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))
        await activity.record(
            "signing_reminder_failed" if reminder else "documents_notify_failed",
            actor=actor,
            subject=subject,
            address=address,
            channel=channel,
            reason=str(exc),
            retrying=True,
        )
        word = "email" if channel == "email" else "text message"
        return Notice(
            "",
            f"The {word} to the taxpayer could not go out yet ({exc}); it is "
            "retried automatically.",
            retrying=channel,
        )
    await activity.record(
        "signing_reminded" if reminder else "documents_notified",
        actor=actor,
        subject=subject,
        address=address,
        channel=channel,
        language=message.language,
        notifier=receipt.notifier,
    )
    return Notice(channel)


async def retry_notice(core: Core, payload: dict[str, Any]) -> None:
    """The job: tell the taxpayer again; a DeliveryError makes the job retry later."""
    portal_id = int(payload["portal_id"])
    tax_return = await TaxReturn.get_or_none(id=int(payload["return_id"]))
    if tax_return is None:  # the client was removed meanwhile: nobody to tell
        return
    account = await TaxpayerAccount.get_or_none(portal_id=portal_id)
    if not pick_channel(tax_return, account):
        return
    if "reminder" in payload:  # what still waits, now: nothing signed since is asked again
        payload = await _still_waiting(payload)
        if not payload["count"]:
            return
    channel, message = _message(core, tax_return, account, payload)
    receipt = await core.plugins.notify(message)
    await activity.record(
        "signing_reminded" if "reminder" in payload else "documents_notified",
        subject=f"portal:{portal_id}",
        channel=channel,
        language=message.language,
        notifier=receipt.notifier,
        retried=True,
    )


async def _still_waiting(payload: dict[str, Any]) -> dict[str, Any]:
    """A reminder's payload cut to its requests that are still pending."""
    ids = [int(i) for i in payload.get("requests", [])]
    pending = await SignatureRequest.filter(id__in=ids, status="pending").values(
        "signer", "document_id"
    )
    roles = [r for r in payload["reminder"] if any(p["signer"] == r for p in pending)]
    count = len({p["document_id"] for p in pending})
    return {**payload, "count": count, "reminder": roles}


def retry_handler(core: Core) -> JobHandler:
    return JobHandler(RETRY_KIND, functools.partial(retry_notice, core), max_attempts=10)


async def set_channel(principal: Principal, channel: str) -> None:
    """The taxpayer's own choice: "Tell me about new documents by: Email / Text"."""
    if principal.kind != "taxpayer" or channel not in CHANNELS:
        raise ChannelError(channel)
    await TaxpayerAccount.filter(id=principal.id).update(notify_channel=channel)
    await activity.record(
        "notify_channel_set",
        actor=principal.actor,
        subject=f"portal:{principal.portal_id}",
        address=principal.address,
        channel=channel,
    )
