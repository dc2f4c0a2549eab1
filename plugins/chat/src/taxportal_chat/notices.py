"""Telling the other side of a message still unread ``[chat] notify_after_minutes`` after it
was posted: the taxpayer by email or text (their channel and language), the firm's staff by
email; at most once per conversation and side per ``[chat] notify_every_minutes``.

Each message of a person schedules a ``chat_unread_notice`` job (keyed by the message id, in
the posting transaction, so it exists exactly when the message does). When it runs, one
conditional UPDATE of ``chat_conversation`` decides, all at once, that the message is still
unread and that the side was not told within the window, and takes the window; many due
jobs at once send one notice. A notice that cannot be delivered gives the window back and
the job retries (failed after its attempts, on the console's Jobs page). A message still
unread while the window is taken schedules one more check for when it ends (one per
window), which looks at the other side's newest message then.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.expressions import Q

from taxportal.api import (
    N_,
    Core,
    DeliveryError,
    DeliveryReceipt,
    JobHandler,
    Notice,
    notify_staff,
    notify_taxpayer,
    plugin_settings,
    record_activity,
    schedule,
    staff_of_portal,
)
from taxportal_chat.i18n import catalog
from taxportal_chat.models import ChatConversation, ChatMessage
from taxportal_chat.settings import SECTION, ChatSettings

KIND = "chat_unread_notice"
STAFF_PAGE = "/staff/messages/{portal_id}"  # the firm's conversation page (chat's console side)
TAXPAYER_PAGE = "/portal/messages"
NOTICE_TEXT = N_("You have a new message from %(firm)s. Sign in to read it: %(link)s")
NOTICE_SUBJECT = N_("New message from %(firm)s")


async def schedule_notice(
    settings: ChatSettings, portal_id: int, message_id: int, to_side: str
) -> None:
    """Queue the check of message ``message_id`` for ``to_side`` (call inside the posting
    transaction)."""
    due = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=settings.notify_after_minutes)
    payload = {"portal_id": portal_id, "message_id": message_id, "side": to_side}
    await schedule(KIND, payload, due, key=f"{KIND}:{message_id}")


def handler(core: Core) -> JobHandler:
    async def run(payload: dict[str, Any]) -> None:
        await tell(core, int(payload["portal_id"]), int(payload["message_id"]), payload["side"])

    return JobHandler(KIND, run, max_attempts=8)


async def _claim(portal_id: int, message_id: int, side: str, every: dt.timedelta) -> dt.datetime:
    """The one statement that decides: still unread by ``side`` and not told within
    ``every``; returns the stamp taken (the window), or raises ``LookupError``."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    told = f"{side}_told_at"
    not_lately = Q(**{f"{told}__isnull": True}) | Q(**{f"{told}__lte": now - every})
    taken = await ChatConversation.filter(
        not_lately, portal_id=portal_id, **{f"{side}_read_id__lt": message_id}
    ).update(**{told: now})
    if not taken:
        raise LookupError(message_id)
    return now


async def _give_back(portal_id: int, side: str, stamp: dt.datetime) -> None:
    """Undo a claim whose notice was not delivered (only our own stamp, in one statement)."""
    told = f"{side}_told_at"
    await ChatConversation.filter(portal_id=portal_id, **{told: stamp}).update(**{told: None})


async def _newest_for(portal_id: int, side: str) -> int:
    writer = "staff" if side == "taxpayer" else "taxpayer"
    ids = (
        await ChatMessage.filter(portal_id=portal_id, author=writer)
        .order_by("-id")
        .limit(1)
        .values_list("id", flat=True)
    )
    return int(ids[0]) if ids else 0


async def _check_again(portal_id: int, message_id: int, side: str, every: dt.timedelta) -> None:
    """Still unread but told lately (of an earlier message, maybe read since): check the
    conversation again when that window ends, once per window (the key)."""
    told = f"{side}_told_at"
    rows = await ChatConversation.filter(
        portal_id=portal_id, **{f"{side}_read_id__lt": message_id, f"{told}__isnull": False}
    ).values_list(told, flat=True)
    if not rows:
        return
    ends = rows[0] + every
    payload = {"portal_id": portal_id, "message_id": 0, "side": side}
    key = f"{KIND}:{portal_id}:{side}:{int(ends.timestamp())}"
    await schedule(KIND, payload, ends, key=key)


async def tell(core: Core, portal_id: int, message_id: int, side: str) -> None:
    """Run one job: tell ``side`` of the unread message, unless read or told lately."""
    settings = plugin_settings(core.config, SECTION, ChatSettings)
    every = dt.timedelta(minutes=settings.notify_every_minutes)
    if not message_id:  # a later check: the newest message of the other side
        message_id = await _newest_for(portal_id, side)
    try:
        stamp = await _claim(portal_id, message_id, side, every)
    except LookupError:  # read by now (nothing to do), or told within the window
        await _check_again(portal_id, message_id, side, every)
        return
    try:
        receipts = await _send(core, portal_id, side)
    except BaseException:
        await _give_back(portal_id, side, stamp)
        raise  # a DeliveryError: the job tries again later
    for staff_id, receipt in receipts:
        await record_activity(
            "chat_unread_told",
            subject=f"portal:{portal_id}",
            side=side,
            message_id=message_id,
            channel=receipt.channel,
            notifier=receipt.notifier,
            **({"staff_id": staff_id} if staff_id else {}),
        )


async def _send(core: Core, portal_id: int, side: str) -> list[tuple[int, DeliveryReceipt]]:
    firm = core.config.core.firm.name
    base = core.config.base_url
    if side == "taxpayer":
        link = base + TAXPAYER_PAGE

        def taxpayer_notice(language: str, channel: str) -> Notice:
            text = catalog.gettext(language, NOTICE_TEXT, firm=firm, link=link)
            subject = catalog.gettext(language, NOTICE_SUBJECT, firm=firm)
            return Notice(text, subject if channel == "email" else "")

        receipt = await notify_taxpayer(core, portal_id, taxpayer_notice, purpose=KIND)
        return [(0, receipt)]
    staff = await staff_of_portal(portal_id)
    if not staff:
        raise DeliveryError("no active staff member to tell")
    link = base + STAFF_PAGE.format(portal_id=portal_id)
    notice = Notice(
        f"A client wrote to {firm} and the message is still unread. Read it: {link}",
        "A client's message is waiting",
    )
    sent: list[tuple[int, DeliveryReceipt]] = []
    failure: DeliveryError | None = None
    for staff_id in staff:  # one unreachable admin does not silence the others
        try:
            receipt = await notify_staff(core, staff_id, lambda _l, _c: notice, purpose=KIND)
        except DeliveryError as exc:
            failure = exc
        else:
            sent.append((staff_id, receipt))
    if not sent and failure is not None:
        raise failure
    return sent
