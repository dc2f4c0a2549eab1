"""Telling a person their account was just locked: by their own email or phone, never on the
sign-in page (which answers a locked account as it answers a wrong password or an unknown
name, so nobody learns from it that the account exists).

The caller is the request whose failure locked the account (``lockout.Slot.locks``), so
each lock is told once. The message goes out from a job (``lock_notice``, ids only): the
locking request takes no longer than any other failure, a server stopping or crashing
loses no notice, and a notifier that is down is retried with back-off.
"""

from __future__ import annotations

import functools
from typing import Any

from taxportal.context import Core
from taxportal.contracts import DeliveryError, JobHandler, OutgoingMessage
from taxportal.jobs import schedule
from taxportal.models import Portal, StaffUser, TaxpayerAccount
from taxportal.services import activity
from taxportal.services.documents.notice import pick_channel
from taxportal.services.messages import contact_of, locked_message, notice_language

KIND = "lock_notice"


async def taxpayer_locked(core: Core, account: TaxpayerAccount, address: str, reason: str) -> None:
    """Log the lock and tell the taxpayer by the channel and in the language they chose."""
    await activity.record(
        "account_locked",
        actor=f"taxpayer:{account.id}",
        address=address,
        reason=reason,
        minutes=core.config.core.accounts.lock_minutes,
    )
    await schedule(KIND, {"taxpayer": account.id})


async def staff_locked(
    core: Core, user: StaffUser, address: str, reason: str, minutes: int
) -> None:
    """Log the lock and tell the staff member by email, when an email notifier is enabled."""
    await activity.record(
        "staff_locked",
        subject=f"staff:{user.id}",
        address=address,
        reason=reason,
        minutes=minutes,
    )
    await schedule(KIND, {"staff": user.id, "minutes": minutes})


async def tell(core: Core, payload: dict[str, Any]) -> None:
    """The job: a ``DeliveryError`` leaves it to be tried again later."""
    if "taxpayer" in payload:
        await _tell_taxpayer(core, int(payload["taxpayer"]))
    else:
        await _tell_staff(core, int(payload["staff"]), int(payload.get("minutes", 0)))


def handler(core: Core) -> JobHandler:
    return JobHandler(KIND, functools.partial(tell, core), max_attempts=10)


async def _tell_taxpayer(core: Core, account_id: int) -> None:
    subject = f"taxpayer:{account_id}"
    account = await TaxpayerAccount.get_or_none(id=account_id)
    if account is None:  # removed since it locked
        return
    portal = await Portal.get(id=account.portal_id).prefetch_related("tax_return")  # type: ignore[attr-defined]
    tax_return = portal.tax_return
    channel = pick_channel(tax_return, account)
    if not channel:
        await activity.record("lock_notice_failed", subject=subject, reason="no_contact")
        return
    language = notice_language(tax_return, account)
    message = locked_message(core, channel, contact_of(tax_return, channel), language)
    await _deliver(core, message, subject)


async def _tell_staff(core: Core, user_id: int, minutes: int) -> None:
    user = await StaffUser.get_or_none(id=user_id)
    if user is None:
        return
    firm = core.config.core.firm.name
    text = (
        f"Your {firm} console account ({user.email}) was locked for {minutes} minutes after "
        "too many wrong passwords or second-factor codes.\n\n"
        f"You can sign in again at {core.config.base_url}/staff/login once the time is up, "
        "or ask an admin to unlock it on the Staff page. If this was not you, tell an admin: "
        "someone may be guessing your password.\n"
    )
    message = OutgoingMessage(
        channel="email",
        to=user.email,
        subject=f"Your {firm} console account is locked",
        text=text,
        sender_name=firm,
        purpose="staff_locked",
        language="en",
    )
    await _deliver(core, message, f"staff:{user.id}")


async def _deliver(core: Core, message: OutgoingMessage, subject: str) -> None:
    try:
        receipt = await core.plugins.notify(message)
    except DeliveryError as exc:
        await activity.record(
            "lock_notice_failed",
            subject=subject,
            channel=message.channel,
            reason=str(exc),
            retrying=True,
        )
        raise  # the job tries again later
    await activity.record(
        "lock_notice_sent",
        subject=subject,
        channel=message.channel,
        language=message.language,
        notifier=receipt.notifier,
    )
