"""Notifying one taxpayer or one staff member on behalf of a plugin, through the notifiers.

The taxpayer is reached as the core reaches them for documents: the channel their account
chose (else the other one when the return lacks it), at the contact the preparer put on the
return, in their language. Staff are reached by email, in English (the console's language).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from taxportal.context import Core
from taxportal.contracts import DeliveryError, DeliveryReceipt, OutgoingMessage
from taxportal.models import Portal, StaffUser, TaxpayerAccount
from taxportal.services.documents.notice import pick_channel
from taxportal.services.messages import contact_of, notice_language


@dataclass(frozen=True)
class Notice:
    """What to say, in one language: ``text`` always; ``subject`` and ``html`` for email."""

    text: str
    subject: str = ""
    html: str | None = None


Compose = Callable[[str, str], Notice]  # (language, channel) -> the notice in that language


async def notify_taxpayer(
    core: Core, portal_id: int, compose: Compose, *, purpose: str
) -> DeliveryReceipt:
    """Deliver ``compose(language, channel)`` to the taxpayer of ``portal_id``; raises
    ``DeliveryError`` when the portal is unknown, the return has no contact, or the
    notifier fails."""
    portal = await Portal.get_or_none(id=portal_id).prefetch_related("tax_return")
    if portal is None:
        raise DeliveryError(f"no portal {portal_id}")
    tax_return = portal.tax_return
    account = await TaxpayerAccount.get_or_none(portal_id=portal_id)
    channel = pick_channel(tax_return, account)
    if not channel:
        raise DeliveryError("the return has no email or mobile phone")
    language = notice_language(tax_return, account)
    notice = compose(language, channel)
    return await core.plugins.notify(
        _message(core, channel, contact_of(tax_return, channel), language, notice, purpose)
    )


async def notify_staff(
    core: Core, staff_id: int, compose: Compose, *, purpose: str
) -> DeliveryReceipt:
    """Deliver ``compose("en", "email")`` to an active staff member's email address."""
    staff = await StaffUser.get_or_none(id=staff_id, is_active=True)
    if staff is None:
        raise DeliveryError(f"no active staff member {staff_id}")
    notice = compose("en", "email")
    return await core.plugins.notify(_message(core, "email", staff.email, "en", notice, purpose))


async def staff_of_portal(portal_id: int) -> list[int]:
    """Whom to tell of a client's portal: the staff member who created it while active
    (the client's preparer), else every active admin (someone must hear)."""
    creator = await Portal.filter(id=portal_id).values_list("created_by_id", flat=True)
    if creator and creator[0] and await StaffUser.filter(id=creator[0], is_active=True).exists():
        return [int(creator[0])]
    return list(await StaffUser.filter(role="admin", is_active=True).values_list("id", flat=True))


def _message(
    core: Core, channel: str, to: str, language: str, notice: Notice, purpose: str
) -> OutgoingMessage:
    return OutgoingMessage(
        channel=channel,
        to=to,
        text=notice.text,
        subject=notice.subject if channel == "email" else "",
        html=notice.html if channel == "email" else None,
        sender_name=core.config.core.firm.name,
        purpose=purpose,
        language=language,
    )
