"""Remind (the console's button) and the automatic reminder job (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from taxportal.contracts import DeliveryError
from taxportal.models import (
    ActivityEntry,
    IdentityCheck,
    Job,
    PreparerDocument,
    SignatureRequest,
    SigningEvent,
    TaxpayerAccount,
    TaxReturn,
)
from taxportal.services.signing import consent, records, reminders
from tests.accounts import journey
from tests.signing_console.conftest import Console, press_remind, signs
from tests.signing_pdf.documents import form_8879, plain_document
from tests.signing_step.conftest import ready_to_sign, send

DAY = dt.timedelta(days=1)


def emails(c: Console) -> list[Any]:
    import email
    import email.policy

    folder = journey.outbox(c.r.client, "email")
    return [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        for f in sorted(folder.glob("*.eml"))
    ]


def reminders_sent(c: Console) -> list[Any]:
    return [m for m in emails(c) if m["Subject"] in SUBJECTS]


SUBJECTS = ("Documents are waiting for your signature", "Hay documentos que esperan su firma")


async def test_remind_tells_the_taxpayer_once_an_hour(database, console):
    c = await console()
    form = await send(c.r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    response = await press_remind(c, form, "spouse")
    assert response.status == 303
    assert "done=reminded" in response.headers["Location"]
    page = await (await c.staff.get(response.headers["Location"])).text()
    assert "The spouse was reminded: the taxpayer was told by email." in page
    assert "reminded " in page  # the row says when
    [message] = reminders_sent(c)
    assert message["To"] == "sherry@example.com"
    body = message.get_body(("plain",)).get_content()
    assert "1 document in your secure portal is waiting to be signed." in body
    assert "Still to sign: Luis." in body
    assert "http://portal.test/portal/preparer-files" in body
    # a second Remind within the hour: refused, said why, nothing sent
    again = await press_remind(c, form, "spouse")
    assert again.status == 409
    text = await again.text()
    assert "The spouse was reminded at" in text and "another reminder can go after" in text
    assert len(reminders_sent(c)) == 1
    # the other signer has their own hour
    assert (await press_remind(c, form, "taxpayer")).status == 303
    assert len(reminders_sent(c)) == 2
    events = await SigningEvent.filter(document_id=form.id, kind="reminded").order_by("seq")
    requests = {r.signer: r.id for r in await SignatureRequest.filter(document_id=form.id)}
    assert [e.details for e in events] == [
        {"request_id": requests["spouse"], "reason": "preparer", "channel": "email"},
        {"request_id": requests["taxpayer"], "reason": "preparer", "channel": "email"},
    ]
    assert events[0].role == "preparer" and events[0].actor == f"staff:{c.r.staff.id}"
    record = await (await c.staff.get(f"{c.document(form.id)}/record")).text()
    assert "Reminder sent: the spouse's signature" in record
    assert "Reminder sent: the taxpayer's signature" in record
    assert (await records.verify(form.id)).intact
    assert await ActivityEntry.filter(action="signing_reminded").count() == 2
    # an hour later it may go again
    await SignatureRequest.filter(document_id=form.id).update(
        reminded_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61)
    )
    assert (await press_remind(c, form, "spouse")).status == 303


async def test_ten_reminds_at_once_send_one(database, console):
    c = await console()
    form = await send(c.r, "Form 8879.pdf", form_8879(), "taxpayer")
    outcomes = await asyncio.gather(
        *(
            reminders.remind(c.core, c.r.staff, c.r.return_id, form.id, "taxpayer")
            for _ in range(10)
        ),
        return_exceptions=True,
    )
    done = [o for o in outcomes if isinstance(o, reminders.Reminded)]
    refused = [o for o in outcomes if isinstance(o, reminders.ReminderRefused)]
    assert len(done) == 1 and len(refused) == 9, outcomes
    assert len(reminders_sent(c)) == 1
    assert await SigningEvent.filter(document_id=form.id, kind="reminded").count() == 1


async def test_the_reminder_is_in_the_taxpayers_language_and_channel(database, console):
    c = await console()
    form = await send(c.r, "Form 8879.pdf", form_8879(), "taxpayer")
    await TaxpayerAccount.filter(portal_id=c.r.signers.portal_id).update(language="es")
    assert (await press_remind(c, form, "taxpayer")).status == 303
    [message] = reminders_sent(c)
    assert message["Subject"] == "Hay documentos que esperan su firma"
    assert (
        "1 documento de su portal seguro espera su firma."
        in message.get_body(("plain",)).get_content()
    )
    # by text message when the taxpayer chose it
    await TaxpayerAccount.filter(portal_id=c.r.signers.portal_id).update(notify_channel="sms")
    await SignatureRequest.filter(document_id=form.id).update(reminded_at=None)
    response = await press_remind(c, form, "taxpayer")
    assert "told=sms" in response.headers["Location"]
    text = journey.newest_sms_text(c.r.client)
    assert "espera su firma" in text and "http://portal.test/portal/preparer-files" in text


async def test_nothing_to_remind_and_wrong_targets(database, console):
    c = await console()
    r = c.r
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    letter = await send(r, "Letter.pdf", plain_document(), "taxpayer")
    await ready_to_sign(r, "taxpayer", form.id)
    await signs(r, form.id, "taxpayer")
    signed = await press_remind(c, form, "taxpayer")
    assert signed.status == 409
    assert "Nothing to remind: the taxpayer&#39;s signature is not waiting." in await signed.text()
    forged = await c.staff.post(
        f"{c.document(letter.id)}/remind", data={"role": "taxpayer"}, allow_redirects=False
    )
    assert forged.status == 403  # no CSRF token
    assert (await press_remind(c, form, "spouse")).status == 404  # not asked of the spouse
    assert (await press_remind(c, letter, "preparer")).status == 404
    token_page = await c.staff.get(c.manager())
    assert token_page.status == 200
    other = PreparerDocument(id=letter.id + 1000)
    assert (await press_remind(c, other, "taxpayer")).status == 404
    # a new version voids the letter's request: nothing to remind there
    await send(r, "Letter.pdf", plain_document(pages=3), "taxpayer")
    assert (await press_remind(c, letter, "taxpayer")).status == 409
    assert reminders_sent(c) == []


async def test_a_failed_reminder_is_retried_by_its_job(database, console, monkeypatch):
    c = await console()
    form = await send(c.r, "Form 8879.pdf", form_8879(), "taxpayer")
    real = c.core.plugins.notify

    async def refused(message: Any) -> Any:
        raise DeliveryError("SMTP server refused the recipient")

    monkeypatch.setattr(c.core.plugins, "notify", refused)
    response = await press_remind(c, form, "taxpayer")
    assert "told=retry-email" in response.headers["Location"]
    page = await (await c.staff.get(response.headers["Location"])).text()
    assert "The reminder email could not go out yet; we will keep trying." in page
    job = await Job.get(kind="documents_notice")
    request = await SignatureRequest.get(document_id=form.id)
    assert job.payload["reminder"] == ["taxpayer"] and job.payload["count"] == 1
    assert job.payload["requests"] == [request.id]  # ids only
    assert (await SignatureRequest.get(document_id=form.id)).reminded_at is not None  # kept
    assert await ActivityEntry.filter(action="signing_reminder_failed").exists()
    monkeypatch.setattr(c.core.plugins, "notify", real)
    from taxportal.jobs.worker import Worker

    for _ in range(50):  # this worker or the app's own takes it
        await Job.filter(id=job.id, state="queued").update(run_after=0)
        await Worker(c.core.jobs).run_due()
        if reminders_sent(c):
            break
        await asyncio.sleep(0.1)
    assert len(reminders_sent(c)) == 1
    assert not await Job.filter(id=job.id).exists()  # done


async def test_a_retried_reminder_drops_what_was_signed_meanwhile(database, console, monkeypatch):
    c = await console()
    form = await send(c.r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    real = c.core.plugins.notify

    async def refused(message: Any) -> Any:
        raise DeliveryError("SMTP server refused the recipient")

    monkeypatch.setattr(c.core.plugins, "notify", refused)
    await SignatureRequest.filter(document_id=form.id).update(
        reminded_at=dt.datetime.now(dt.UTC) - 4 * DAY
    )
    await sent_days_ago(form, 5)
    assert await reminders.send_due_reminders(c.core) == 1  # retried by its job
    job = await Job.get(kind="documents_notice")
    assert job.payload["reminder"] == ["taxpayer", "spouse"]
    monkeypatch.setattr(c.core.plugins, "notify", real)
    # the taxpayer signs before the job runs: the reminder is about the spouse only
    await SignatureRequest.filter(document_id=form.id, signer="taxpayer").update(status="signed")
    from taxportal.services.documents import notice

    await notice.retry_notice(c.core, job.payload)
    [message] = reminders_sent(c)
    assert "Still to sign: Luis." in message.get_body(("plain",)).get_content()
    # and once everyone signed, a retried reminder sends nothing
    await SignatureRequest.filter(document_id=form.id).update(status="signed")
    await notice.retry_notice(c.core, job.payload)
    assert len(reminders_sent(c)) == 1


async def test_no_contact_gives_the_reminder_back(database, console):
    c = await console()
    form = await send(c.r, "Form 8879.pdf", form_8879(), "taxpayer")
    await TaxReturn.filter(id=c.r.return_id).update(primary_email="", mobile_phone="")
    response = await press_remind(c, form, "taxpayer")
    assert response.status == 409
    assert "the return has no email or mobile phone" in await response.text()
    assert (await SignatureRequest.get(document_id=form.id)).reminded_at is None
    assert not await SigningEvent.filter(document_id=form.id, kind="reminded").exists()


# --- the automatic reminder ----------------------------------------------------------------


async def sent_days_ago(document: PreparerDocument, days: float) -> None:
    await PreparerDocument.filter(id=document.id).update(
        sent_at=dt.datetime.now(dt.UTC) - days * DAY
    )


async def test_the_automatic_reminder_sends_one_message_per_portal(database, console):
    c = await console()
    form = await send(c.r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    letter = await send(c.r, "Letter.pdf", plain_document(), "taxpayer")
    fresh = await send(c.r, "Fresh.pdf", plain_document(pages=1), "taxpayer")
    assert await reminders.send_due_reminders(c.core) == 0  # sent just now: not due
    await sent_days_ago(form, 3.5)
    await sent_days_ago(letter, 4)
    assert await reminders.send_due_reminders(c.core) == 1
    [message] = reminders_sent(c)
    body = message.get_body(("plain",)).get_content()
    assert "2 documents in your secure portal are waiting to be signed." in body
    assert "Still to sign: Sherry, Luis." in body
    for document, count in ((form, 2), (letter, 1), (fresh, 0)):
        events = await SigningEvent.filter(document_id=document.id, kind="reminded")
        assert len(events) == count
        assert all(e.role == "" and e.actor == "system" for e in events)
        assert all(e.details["reason"] == "automatic" for e in events)
    # the next round: nothing due until reminder_days after this reminder
    assert await reminders.send_due_reminders(c.core) == 0
    later = dt.datetime.now(dt.UTC) + 3.1 * DAY
    assert await reminders.send_due_reminders(c.core, later) == 1
    assert len(reminders_sent(c)) == 2


async def test_two_rounds_at_once_send_once(database, console):
    c = await console()
    form = await send(c.r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    await sent_days_ago(form, 5)
    sent = await asyncio.gather(*(reminders.send_due_reminders(c.core) for _ in range(4)))
    assert sorted(sent) == [0, 0, 0, 1]
    assert len(reminders_sent(c)) == 1
    assert await SigningEvent.filter(document_id=form.id, kind="reminded").count() == 2


async def test_signed_replaced_and_switched_off_are_not_reminded(database, console):
    c = await console(TAXPORTAL_SIGNING__REMINDER_DAYS="2")
    r = c.r
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer")
    letter = await send(r, "Letter.pdf", plain_document(), "taxpayer")
    await ready_to_sign(r, "taxpayer", form.id)
    await signs(r, form.id, "taxpayer")
    await send(r, "Letter.pdf", plain_document(pages=3), "taxpayer")  # replaces the letter
    await sent_days_ago(form, 3)
    await sent_days_ago(letter, 3)
    assert await reminders.send_due_reminders(c.core) == 0
    assert reminders_sent(c) == []
    newer = await PreparerDocument.filter(file_name="Letter.pdf").order_by("-id").first()
    await sent_days_ago(newer, 1.5)
    assert await reminders.send_due_reminders(c.core) == 0  # 2 days not yet
    await sent_days_ago(newer, 2.5)
    c.core.config.core.signing.reminder_days = 0  # off
    assert await reminders.send_due_reminders(c.core) == 0
    c.core.config.core.signing.reminder_days = 2
    assert await reminders.send_due_reminders(c.core) == 1


async def test_the_reminder_job_is_scheduled_and_registered(database, console):
    c = await console()
    job = await Job.get(kind=reminders.KIND)
    assert job.key == reminders.KIND and job.every_ms == 10 * 60 * 1000
    assert c.core.jobs.get(reminders.KIND) is not None


@pytest.mark.parametrize("days", ["-1", "366"])
def test_reminder_days_is_bounded(make_config, days):
    from taxportal.config import ConfigError

    with pytest.raises(ConfigError, match="reminder_days"):
        make_config(TAXPORTAL_SIGNING__REMINDER_DAYS=days)


async def test_a_signer_on_paper_is_not_reminded_automatically(database, console):
    c = await console()
    r = c.r
    form = await send(r, "Form 8879.pdf", form_8879(), "taxpayer", "spouse")
    await sent_days_ago(form, 4)
    await consent.record(r.core, r.principal, "spouse", "declined", "en", "pytest", ip="127.0.0.1")
    assert await reminders.send_due_reminders(c.core) == 1
    [message] = reminders_sent(c)
    assert "Still to sign: Sherry." in message.get_body(("plain",)).get_content()
    spouse = await SignatureRequest.get(document_id=form.id, signer="spouse")
    assert spouse.reminded_at is None  # not claimed, not recorded
    # the taxpayer's identity checks lock: nobody left to remind here
    await IdentityCheck.create(
        portal_id=r.signers.portal_id,
        role="taxpayer",
        started_at=dt.datetime.now(dt.UTC),
        locked_at=dt.datetime.now(dt.UTC),
    )
    later = dt.datetime.now(dt.UTC) + 5 * DAY
    assert await reminders.send_due_reminders(c.core, later) == 0
    assert len(reminders_sent(c)) == 1
