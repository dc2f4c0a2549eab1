"""Unread-message notices: the other side is told when a message is still unread
``[chat] notify_after_minutes`` after it was posted, by durable jobs, at most once per
conversation and side per ``[chat] notify_every_minutes``, never with the message's text."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from typing import Any

from taxportal.api import plugin_settings
from taxportal.jobs import Worker
from taxportal.models import ActivityEntry, Job, Portal, StaffUser
from taxportal.services.accounts import staff as staff_service
from taxportal_chat import conversation
from taxportal_chat.conversation import Author
from taxportal_chat.models import ChatConversation
from taxportal_chat.notices import KIND
from taxportal_chat.settings import ChatSettings
from tests.accounts import journey
from tests.chat.conftest import taxpayer_on
from tests.support import jobs_finished

LATER = {"TAXPORTAL_CHAT__NOTIFY_AFTER_MINUTES": "5"}
SECRET = "My W-2 shows box 12 code DD 4,512"


def emails(client: Any) -> list[Any]:
    folder = journey.outbox(client, "email")
    return [
        journey.email.message_from_bytes(p.read_bytes(), policy=journey.email.policy.default)
        for p in sorted(folder.glob("*.eml"))
    ]


def texts(client: Any) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(journey.outbox(client, "sms").glob("*.json"))]


async def choose_channel(client: Any, channel: str) -> None:
    page = "/portal/preparer-files"
    token = await journey.form_token(client, page)
    response = await client.post(
        page + "/notify", data={"csrf_token": token, "channel": channel}, allow_redirects=False
    )
    assert response.status == 303


async def make_due() -> None:
    """The notices' jobs come due now, as if the minutes had passed."""
    await Job.filter(kind=KIND).update(run_after=int(time.time() * 1000) - 1)


def settings(core: Any) -> ChatSettings:
    """The app's own ``[chat]`` (as its pages and API post with)."""
    return plugin_settings(core.config, "chat", ChatSettings)


def staff_author() -> Author:
    return Author("staff", 1, "Ana Ruiz")


async def test_the_taxpayer_is_told_in_spanish_by_text_without_the_message(chat_app: Any) -> None:
    client = await chat_app(**LATER)
    sherry = await taxpayer_on(client, "es")
    await choose_channel(client, "sms")
    core = journey.core(client)
    before = len(texts(client))
    await conversation.post(core, settings(core), sherry.portal_id, staff_author(), SECRET)
    await jobs_finished(core, KIND)
    assert len(texts(client)) == before  # not due yet: five minutes to read it first

    await make_due()
    await jobs_finished(core, KIND)
    sent = texts(client)[before:]
    assert len(sent) == 1
    assert sent[0]["text"] == (
        "Tiene un mensaje nuevo de Evans Tax Service. Inicie sesión para leerlo: "
        "http://portal.test/portal/messages"
    )
    told = await ActivityEntry.filter(action="chat_unread_told").values("subject", "detail")
    assert told[0]["subject"] == f"portal:{sherry.portal_id}"
    assert told[0]["detail"]["side"] == "taxpayer" and told[0]["detail"]["channel"] == "sms"
    assert SECRET not in str(await ActivityEntry.all().values("detail"))


async def test_read_before_it_is_due_sends_nothing(chat_app: Any) -> None:
    client = await chat_app(**LATER)
    sherry = await taxpayer_on(client)
    core = journey.core(client)
    mails = len(emails(client))
    await conversation.post(core, settings(core), sherry.portal_id, staff_author(), "Hello")
    assert "Hello" in await (await client.get("/portal/messages")).text()  # read it
    await make_due()
    await jobs_finished(core, KIND)
    assert len(emails(client)) == mails
    assert await Job.filter(kind=KIND).count() == 0  # done, not retrying
    assert await ActivityEntry.filter(action="chat_unread_told").count() == 0


async def test_many_due_at_once_send_one_then_none_within_the_hour(chat_app: Any) -> None:
    client = await chat_app(**LATER)
    sherry = await taxpayer_on(client)
    core = journey.core(client)
    mails = len(emails(client))
    for n in range(4):
        await conversation.post(core, settings(core), sherry.portal_id, staff_author(), f"m{n}")
    assert await Job.filter(kind=KIND).count() == 4
    await make_due()
    workers = [Worker(core.jobs, name=f"w{n}") for n in range(4)]
    await asyncio.gather(*(w.run_due() for w in workers))
    await jobs_finished(core, KIND)
    new = emails(client)[mails:]
    assert len(new) == 1
    assert new[0]["Subject"] == "New message from Evans Tax Service"
    body = new[0].get_body(("plain",)).get_content()
    assert "Sign in to read it" in body and "m0" not in body

    # a later message within the hour: not told again
    await conversation.post(core, settings(core), sherry.portal_id, staff_author(), "m5")
    await make_due()
    await jobs_finished(core, KIND)
    assert len(emails(client)) == mails + 1


async def test_the_preparer_who_made_the_portal_is_told_by_email(chat_app: Any) -> None:
    client = await chat_app(TAXPORTAL_CHAT__NOTIFY_AFTER_MINUTES="0")
    sherry = await taxpayer_on(client)
    core = journey.core(client)
    admin = await staff_service.add_staff(core, "boss@example.com", "Correct-Horse-9", "admin")
    ana = await staff_service.add_staff(core, "ana@example.com", "Correct-Horse-9", "preparer")
    await Portal.filter(id=sherry.portal_id).update(created_by_id=ana.id)
    mails = len(emails(client))
    me = Author("taxpayer", sherry.account_id, "Sherry Nunez")
    await conversation.post(core, settings(core), sherry.portal_id, me, SECRET)
    await jobs_finished(core, KIND)
    new = emails(client)[mails:]
    assert [m["To"] for m in new] == ["ana@example.com"]
    body = new[0].get_body(("plain",)).get_content()
    assert f"/staff/messages/{sherry.portal_id}" in body and SECRET not in body
    told = await ActivityEntry.filter(action="chat_unread_told").values("detail")
    assert told[0]["detail"]["staff_id"] == ana.id and told[0]["detail"]["side"] == "staff"

    # her account closed: the admins hear instead
    await StaffUser.filter(id=ana.id).update(is_active=False)
    await conversation.post(core, settings(core), sherry.portal_id, me, "again")
    await ChatConversation.filter(portal_id=sherry.portal_id).update(staff_told_at=None)
    await jobs_finished(core, KIND)
    assert [m["To"] for m in emails(client)[mails:]] == ["ana@example.com", admin.email]


async def test_a_notice_that_cannot_go_is_retried_and_visible(chat_app: Any) -> None:
    client = await chat_app(TAXPORTAL_CHAT__NOTIFY_AFTER_MINUTES="0")
    sherry = await taxpayer_on(client)
    core = journey.core(client)
    me = Author("taxpayer", sherry.account_id, "Sherry Nunez")
    await conversation.post(core, settings(core), sherry.portal_id, me, "Anyone there?")
    await jobs_finished(core, KIND)  # nobody on staff yet: nobody to tell
    [job] = await Job.filter(kind=KIND).values("state", "attempts", "last_error")
    assert (job["state"], job["attempts"]) == ("queued", 1)
    assert job["last_error"] == "DeliveryError: no active staff member to tell"
    # the failed attempt gave the window back: the retry may still send
    conv = await ChatConversation.get(portal_id=sherry.portal_id)
    assert conv.staff_told_at is None

    admin = await staff_service.add_staff(core, "boss@example.com", "Correct-Horse-9", "admin")
    mails = len(emails(client))
    await make_due()
    await jobs_finished(core, KIND)
    assert [m["To"] for m in emails(client)[mails:]] == [admin.email]
    assert await Job.filter(kind=KIND).count() == 0
    assert (await ChatConversation.get(portal_id=sherry.portal_id)).staff_told_at is not None


async def test_a_message_unread_past_the_window_is_told_when_it_ends(chat_app: Any) -> None:
    client = await chat_app(**LATER)
    sherry = await taxpayer_on(client)
    core = journey.core(client)
    mails = len(emails(client))
    await conversation.post(core, settings(core), sherry.portal_id, staff_author(), "first")
    await make_due()
    await jobs_finished(core, KIND)
    assert len(emails(client)) == mails + 1
    await client.get("/portal/messages")  # she read it

    # a second message, still unread when its notice is due, inside the hour: not now...
    await conversation.post(core, settings(core), sherry.portal_id, staff_author(), "second")
    await make_due()
    await jobs_finished(core, KIND)
    assert len(emails(client)) == mails + 1
    [later] = await Job.filter(kind=KIND).values("run_after", "payload")
    told = (await ChatConversation.get(portal_id=sherry.portal_id)).taxpayer_told_at
    assert told is not None
    assert later["run_after"] == int((told.timestamp() + 3600) * 1000)
    # ...but once the hour is over
    await ChatConversation.filter(portal_id=sherry.portal_id).update(
        taxpayer_told_at=told - dt.timedelta(hours=1)
    )
    await make_due()
    await jobs_finished(core, KIND)
    assert len(emails(client)) == mails + 2
    assert await Job.filter(kind=KIND).count() == 0
