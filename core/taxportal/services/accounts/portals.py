"""Portals and their invitations: create, resend, and tell a link's state.

Once the taxpayer has registered, "resend" no longer makes an invitation (the portal has
its one account): it sends a sign-in reminder, the sign-in page and the user name.

A message the notifier could not deliver (the mail server down) is not lost: the portal
and its unsent invitation stay, and a job (``link_retry``) sends it when the notifier
takes it again, with a new link (the first one's token was never kept, so none is stored).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum

from tortoise.exceptions import IntegrityError

from taxportal.bus import atomic
from taxportal.context import Core
from taxportal.contracts import DeliveryError, DeliveryReceipt
from taxportal.crypto import token_digest
from taxportal.events import InvitationSent, PortalCreated
from taxportal.jobs import schedule
from taxportal.models import Invitation, Portal, TaxpayerAccount, TaxReturn
from taxportal.services import activity
from taxportal.services.messages import (
    contact_of,
    invitation_message,
    sign_in_reminder_message,
)

CHANNELS = ("email", "sms")
INVITATION_RETRY = "portal_invitation"  # job kinds: the retries of a failed delivery
REMINDER_RETRY = "portal_reminder"
FIRST_RETRY = dt.timedelta(seconds=30)


class PortalError(Exception):
    """Why a portal could not be created or an invitation not sent (shown to the preparer)."""


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    VOIDED = "voided"
    REGISTERED = "registered"  # the portal has its one account (registered by another link)
    UNKNOWN = "unknown"


def missing_for_portal(tax_return: TaxReturn) -> list[str]:
    """What the return lacks before a portal can be made (the guide asks for all three)."""
    missing = []
    if not tax_return.ssn_digest:
        missing.append("SSN")
    if not tax_return.mobile_phone:
        missing.append("mobile phone")
    if not tax_return.primary_email:
        missing.append("email")
    return missing


@dataclass
class InvitationOutcome:
    portal: Portal
    invitation: Invitation | None  # None for a sign-in reminder
    created: bool  # True for a new portal, False for a resend
    reminded: bool = False  # the portal has an account: a sign-in reminder went out
    retrying: str = ""  # not delivered yet (why): a job sends it when the notifier takes it


async def invite(
    core: Core, return_id: int, channel: str, actor: str, address: str = ""
) -> InvitationOutcome:
    """Create the portal (first time) or resend its link, delivering it on ``channel``;
    a portal that already has an account gets a sign-in reminder instead (no invitation).

    When the notifier cannot deliver, the portal and the unsent invitation stay and a job
    retries (``retrying`` says why); the previous link (if any) stays valid until a new
    one is delivered. Any other failure leaves nothing: no new portal, no new invitation.
    """
    if channel not in CHANNELS:
        raise PortalError("choose Phone or Email")
    tax_return = await TaxReturn.get_or_none(id=return_id)
    if tax_return is None:
        raise PortalError("this client no longer exists")
    missing = missing_for_portal(tax_return)
    if missing:
        raise PortalError(f"no portal yet: the return has no {', '.join(missing)}")
    account = await TaxpayerAccount.get_or_none(portal__tax_return_id=return_id)
    if account is not None:
        return await _remind(core, tax_return, account, channel, actor, address)
    token = secrets.token_urlsafe(32)
    ttl = dt.timedelta(days=core.config.core.invitations.ttl_days)
    now = dt.datetime.now(dt.UTC)
    try:
        async with atomic():
            portal = await Portal.get_or_none(tax_return_id=return_id)
            created = portal is None
            if portal is None:
                portal = await Portal.create(
                    tax_return_id=return_id, created_by_id=_staff_id(actor)
                )
            # an earlier link still waiting for its retry is replaced by this one
            await Invitation.filter(
                portal_id=portal.id, sent_at__isnull=True, voided_at__isnull=True
            ).update(voided_at=now)
            invitation = await Invitation.create(
                portal=portal,
                token_hash=token_digest(token),
                channel=channel,
                sent_to=contact_of(tax_return, channel),
                expires_at=now + ttl,
            )
    except IntegrityError:
        raise PortalError("someone else just created this portal: reload the list") from None

    message = invitation_message(
        core, tax_return, channel, f"{core.config.base_url}/invite/{token}"
    )
    try:
        receipt = await core.plugins.notify(message)
    except DeliveryError as exc:
        # ids only: the job makes a new link and reads the contact again when it runs
        payload = {"invitation_id": invitation.id, "created": created, "actor": actor}
        await schedule(INVITATION_RETRY, payload, now + FIRST_RETRY, max_attempts=12)
        await activity.record(
            "invitation_failed",
            actor=actor,
            subject=f"portal:{portal.id}",
            address=address,
            channel=channel,
            reason=str(exc),
            retrying=True,
        )
        return InvitationOutcome(portal, invitation, created, retrying=str(exc))
    except BaseException:
        await _undo(portal, invitation, created)
        raise
    await delivered(core, portal, invitation, created, receipt, actor=actor, address=address)
    await invitation.refresh_from_db()
    return InvitationOutcome(portal, invitation, created)


async def delivered(
    core: Core,
    portal: Portal,
    invitation: Invitation,
    created: bool,
    receipt: DeliveryReceipt,
    *,
    actor: str,
    address: str = "",
    retried: bool = False,
) -> None:
    """The invitation went out: it is the portal's one open link from now on."""
    now = dt.datetime.now(dt.UTC)
    async with atomic():
        await Invitation.filter(id=invitation.id).update(sent_at=now)
        await (
            Invitation.filter(portal_id=portal.id, used_at__isnull=True, voided_at__isnull=True)
            .exclude(id=invitation.id)
            .update(voided_at=now)
        )
    await activity.record(
        "portal_created" if created else "invitation_resent",
        actor=actor,
        subject=f"portal:{portal.id}",
        address=address,
        channel=invitation.channel,
        notifier=receipt.notifier,
        **({"retried": True} if retried else {}),
    )
    if created:
        await core.plugins.emit(PortalCreated(portal.id, portal.tax_return_id, invitation.channel))  # type: ignore[attr-defined]
    await core.plugins.emit(InvitationSent(portal.id, invitation.id, invitation.channel))


async def _remind(
    core: Core,
    tax_return: TaxReturn,
    account: TaxpayerAccount,
    channel: str,
    actor: str,
    address: str,
) -> InvitationOutcome:
    """The sign-in page and the user name, in the taxpayer's language, on ``channel``."""
    portal = await Portal.get(id=account.portal_id)
    message = sign_in_reminder_message(core, tax_return, account, channel)
    try:
        receipt = await core.plugins.notify(message)
    except DeliveryError as exc:
        payload = {"account_id": account.id, "channel": channel, "actor": actor}
        when = dt.datetime.now(dt.UTC) + FIRST_RETRY
        await schedule(REMINDER_RETRY, payload, when, max_attempts=12)
        await activity.record(
            "sign_in_reminder_failed",
            actor=actor,
            subject=f"portal:{portal.id}",
            address=address,
            channel=channel,
            reason=str(exc),
            retrying=True,
        )
        return InvitationOutcome(portal, None, created=False, reminded=True, retrying=str(exc))
    await reminded(portal, channel, receipt, actor=actor, address=address)
    return InvitationOutcome(portal, None, created=False, reminded=True)


async def reminded(
    portal: Portal,
    channel: str,
    receipt: DeliveryReceipt,
    *,
    actor: str,
    address: str = "",
    retried: bool = False,
) -> None:
    """The sign-in reminder went out."""
    # An invitation still open can no longer register anyone: retire it.
    await Invitation.filter(
        portal_id=portal.id, used_at__isnull=True, voided_at__isnull=True
    ).update(voided_at=dt.datetime.now(dt.UTC))
    await activity.record(
        "sign_in_reminder_sent",
        actor=actor,
        subject=f"portal:{portal.id}",
        address=address,
        channel=channel,
        notifier=receipt.notifier,
        **({"retried": True} if retried else {}),
    )


async def _undo(portal: Portal, invitation: Invitation, created: bool) -> None:
    async with atomic():
        await Invitation.filter(id=invitation.id).delete()
        if created:
            await Portal.filter(id=portal.id).delete()


def _staff_id(actor: str) -> int | None:
    kind, _, ident = actor.partition(":")
    return int(ident) if kind == "staff" and ident.isdigit() else None


def channel_word(channel: str) -> str:
    return "email" if channel == "email" else "text message"


async def link_state(token: str) -> tuple[LinkState, Invitation | None]:
    """Tell a valid invitation link from an expired, used, voided or unknown one, and from
    one of a portal that already has its account (it can never register another)."""
    invitation = await Invitation.get_or_none(token_hash=token_digest(token))
    if invitation is None or invitation.sent_at is None:
        return LinkState.UNKNOWN, None
    if invitation.used_at is not None:
        return LinkState.USED, invitation
    if await TaxpayerAccount.exists(portal_id=invitation.portal_id):
        return LinkState.REGISTERED, invitation
    if invitation.voided_at is not None:
        return LinkState.VOIDED, invitation
    if invitation.expires_at <= dt.datetime.now(dt.UTC):
        return LinkState.EXPIRED, invitation
    return LinkState.VALID, invitation


async def portal_with_return(portal_id: int) -> Portal:
    """The portal with its return loaded (the invitation's pages speak the return's language)."""
    return await Portal.get(id=portal_id).prefetch_related("tax_return")  # type: ignore[attr-defined]


async def portal_of_return(return_id: int) -> Portal | None:
    return await Portal.get_or_none(tax_return_id=return_id)


async def is_registered(return_id: int) -> bool:
    """The return's portal has its taxpayer account (it can never register another)."""
    return await TaxpayerAccount.exists(portal__tax_return_id=return_id)


async def ask_for_new_link(portal_id: int) -> None:
    """A taxpayer on a dead link asked for a new one: Manage Portals shows it to the preparer."""
    await Portal.filter(id=portal_id).update(link_requested=True)
