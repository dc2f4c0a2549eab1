"""Telling a person their account was just locked: by their own email or phone, never on the
sign-in page (which answers a locked account as it answers a wrong password or an unknown
name, so nobody learns from it that the account exists).

The caller is the request whose failure locked the account (``lockout.Slot.locks``), so
each lock is told once. The message is sent in the background: the locking request takes
no longer than any other failure. ``sending`` waits for the messages in flight before the
database closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from taxportal.context import Core
from taxportal.contracts import DeliveryError, OutgoingMessage
from taxportal.models import Portal, StaffUser, TaxpayerAccount
from taxportal.services import activity
from taxportal.services.documents.notice import pick_channel
from taxportal.services.messages import contact_of, locked_message, notice_language

log = logging.getLogger(__name__)
_in_flight: set[asyncio.Task[None]] = set()


async def taxpayer_locked(core: Core, account: TaxpayerAccount, address: str, reason: str) -> None:
    """Log the lock and tell the taxpayer by the channel and in the language they chose."""
    await activity.record(
        "account_locked",
        actor=f"taxpayer:{account.id}",
        address=address,
        reason=reason,
        minutes=core.config.core.accounts.lock_minutes,
    )
    _in_background(_tell_taxpayer(core, account.id))


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
    _in_background(_tell_staff(core, user, minutes))


def _in_background(send: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(send)
    _in_flight.add(task)  # held until done: the loop keeps only weak references
    task.add_done_callback(_in_flight.discard)


async def settled(timeout: float = 10.0) -> None:
    """Wait (at most ``timeout`` seconds) for the lock notices still being sent."""
    if _in_flight:
        await asyncio.wait(set(_in_flight), timeout=timeout)


@contextlib.asynccontextmanager
async def sending() -> AsyncIterator[None]:
    """While the app serves: at the end, the notices in flight finish before the database
    closes."""
    try:
        yield
    finally:
        await settled()


async def _tell_taxpayer(core: Core, account_id: int) -> None:
    subject = f"taxpayer:{account_id}"
    try:
        account = await TaxpayerAccount.get(id=account_id)
        portal = await Portal.get(id=account.portal_id).prefetch_related("tax_return")  # type: ignore[attr-defined]
        tax_return = portal.tax_return
        channel = pick_channel(tax_return, account)
        if not channel:
            await activity.record("lock_notice_failed", subject=subject, reason="no_contact")
            return
        language = notice_language(tax_return, account)
        message = locked_message(core, channel, contact_of(tax_return, channel), language)
        await _deliver(core, message, subject)
    except Exception:  # a notice must never take the sign-in down with it
        log.exception("the lock notice to %s could not be sent", subject)


async def _tell_staff(core: Core, user: StaffUser, minutes: int) -> None:
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
    try:
        await _deliver(core, message, f"staff:{user.id}")
    except Exception:  # never take the sign-in down with it
        log.exception("the lock notice to staff:%s could not be sent", user.id)


async def _deliver(core: Core, message: OutgoingMessage, subject: str) -> None:
    try:
        receipt = await core.plugins.notify(message)
    except DeliveryError as exc:
        await activity.record(
            "lock_notice_failed", subject=subject, channel=message.channel, reason=str(exc)
        )
        return
    await activity.record(
        "lock_notice_sent",
        subject=subject,
        channel=message.channel,
        language=message.language,
        notifier=receipt.notifier,
    )
