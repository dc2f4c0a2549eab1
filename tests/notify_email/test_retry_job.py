"""A notice or a portal link the SMTP server could not take is retried by a job once the
server is back."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from aiosmtpd.controller import Controller

from taxportal import hookimpl
from taxportal.crypto import token_digest
from taxportal.events import InvitationSent, PortalCreated, ReturnImported
from taxportal.jobs import Worker
from taxportal.models import ActivityEntry, Invitation, Job, Portal, TaxReturn
from taxportal.services.accounts import portals
from taxportal.services.accounts import staff as staff_service
from taxportal.services.documents import preparer as documents
from taxportal.services.documents.access import Principal
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields
from taxportal.web.keys import CORE
from tests.notify_email.conftest import CollectingHandler, free_port
from tests.preparer_documents.pdfs import pdf
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_from, sign_in

PREPARER = Principal("staff", 1, "198.51.100.4")


async def chunked(data: bytes) -> AsyncIterator[bytes]:
    yield data


def smtp_on(port: int, handler: CollectingHandler) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="mail.test")
    controller.start()
    return controller


async def test_documents_notice_is_retried_after_smtp_comes_back(started: Any) -> None:
    port = free_port()
    handler = CollectingHandler()
    server = smtp_on(port, handler)
    core = await started(
        TAXPORTAL_JOBS__WORKER="false",  # the test runs the worker itself
        TAXPORTAL_NOTIFY_EMAIL__MODE="smtp",
        TAXPORTAL_NOTIFY_EMAIL__SMTP_HOST="127.0.0.1",
        TAXPORTAL_NOTIFY_EMAIL__SMTP_PORT=str(port),
        TAXPORTAL_NOTIFY_EMAIL__SECURITY="none",
        TAXPORTAL_NOTIFY_EMAIL__TIMEOUT="3",
    )
    server.stop()  # the mail server goes down
    tax_return = await TaxReturn.create(
        tax_year=2025, first_name="Rosa", last_name="Diaz", primary_email="rosa@example.com"
    )
    portal = await Portal.create(tax_return=tax_return)
    row = await documents.add(core, PREPARER, tax_return.id, "Form 1040.pdf", chunked(pdf()))

    result = await documents.send(core, PREPARER, tax_return.id, [documents.Pick(row.id)])

    assert result.notified_by == "" and result.notice_retrying == "email"
    assert "retried automatically" in result.notice_problem
    job = await Job.get(kind="documents_notice")
    worker = Worker(core.jobs, name="test")
    await Job.filter(id=job.id).update(run_after=0)
    assert await worker.run_once()  # still down: the job waits for its back-off
    job = await Job.get(id=job.id)
    assert job.state == "queued" and job.attempts == 1
    assert job.last_error.startswith("DeliveryError:") and "rosa@" not in job.last_error

    server = smtp_on(port, handler)  # the server is back
    try:
        await Job.filter(id=job.id).update(run_after=0)
        assert await worker.run_once()
    finally:
        server.stop()

    [mail] = handler.received
    assert mail.rcpt_tos == ["rosa@example.com"]
    assert not await Job.filter(id=job.id).exists()
    retried = await ActivityEntry.filter(action="documents_notified").get()
    assert retried.detail["retried"] is True and retried.subject == f"portal:{portal.id}"


def SMTP_DOWN(port: int) -> dict[str, str]:
    """SMTP on a port where nothing listens (until a test starts a server there); the test
    runs the job worker itself."""
    return {
        "TAXPORTAL_JOBS__WORKER": "false",
        "TAXPORTAL_NOTIFY_EMAIL__MODE": "smtp",
        "TAXPORTAL_NOTIFY_EMAIL__SMTP_HOST": "127.0.0.1",
        "TAXPORTAL_NOTIFY_EMAIL__SMTP_PORT": str(port),
        "TAXPORTAL_NOTIFY_EMAIL__SECURITY": "none",
        "TAXPORTAL_NOTIFY_EMAIL__TIMEOUT": "3",
    }


async def smtp_down_core(started: Any, port: int, *listeners: object) -> Any:
    return await started(*listeners, **SMTP_DOWN(port))


async def run_due(core: Any, kind: str) -> Job:
    job = await Job.get(kind=kind)
    await Job.filter(id=job.id).update(run_after=0)
    assert await Worker(core.jobs, name="test").run_once()
    return job


async def client_return(core: Any) -> TaxReturn:
    """A return a portal can be made for (SSN, email and mobile phone on file)."""
    fields = ReturnFields(
        tax_year=2025,
        first_name="Rosa",
        last_name="Diaz",
        ssn="123-45-6789",
        primary_email="rosa@example.com",
        mobile_phone="(706) 555-0101",
    )
    tax_return, _ = await returns_service.upsert(core, fields, "test")
    return tax_return


class Heard:
    def __init__(self) -> None:
        self.events: list[Any] = []

    @hookimpl
    def taxportal_event(self, event: Any) -> None:
        self.events.append(event)


async def test_an_invitation_is_kept_and_sent_by_a_job_once_smtp_is_back(
    started: Any, client_for: Any
) -> None:
    port, handler, heard = free_port(), CollectingHandler(), Heard()
    core = await smtp_down_core(started, port, heard)  # nothing listens on the port yet
    tax_return = await client_return(core)

    outcome = await portals.invite(core, tax_return.id, "email", "test")

    assert outcome.created and outcome.retrying  # kept, not undone
    waiting = await Invitation.get(portal_id=outcome.portal.id)
    assert waiting.sent_at is None and waiting.voided_at is None
    assert not [e for e in heard.events if isinstance(e, PortalCreated)]  # not yet

    server = smtp_on(port, handler)
    try:
        job = await run_due(core, portals.INVITATION_RETRY)
    finally:
        server.stop()

    [mail] = handler.received
    assert mail.rcpt_tos == ["rosa@example.com"]
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"/invite/([A-Za-z0-9_-]+)", text)
    assert link is not None
    sent = await Invitation.get(id=waiting.id)  # a new token: the first was never kept
    assert sent.sent_at is not None and sent.token_hash == token_digest(link[1])
    assert sent.token_hash != waiting.token_hash
    assert not await Job.filter(id=job.id).exists()
    assert [type(e) for e in heard.events if not isinstance(e, ReturnImported)] == [
        PortalCreated,
        InvitationSent,
    ]
    entry = await ActivityEntry.get(action="portal_created")
    assert entry.detail["retried"] is True and "rosa@" not in str(entry.detail)


async def test_a_newer_link_replaces_one_still_waiting(started: Any) -> None:
    port, handler = free_port(), CollectingHandler()
    core = await smtp_down_core(started, port)
    tax_return = await client_return(core)
    first = await portals.invite(core, tax_return.id, "email", "test")
    server = smtp_on(port, handler)
    try:
        second = await portals.invite(core, tax_return.id, "email", "test")
        assert not second.retrying and not second.created
        await run_due(core, portals.INVITATION_RETRY)  # the first's job: nothing to send
    finally:
        server.stop()
    assert len(handler.received) == 1  # one link reached the taxpayer, not two
    assert first.invitation is not None
    assert (await Invitation.get(id=first.invitation.id)).voided_at is not None


async def test_manage_portals_says_the_link_waits_and_that_it_is_retried(
    build_app: Any, client_for: Any
) -> None:
    port = free_port()
    app = await build_app(**SMTP_DOWN(port))
    client = await client_for(app)
    core = app[CORE]
    await staff_service.add_staff(core, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    await sign_in(client)
    tax_return = await client_return(core)
    send = f"/staff/portals/{tax_return.id}/send"
    token = await csrf_from(client, send)

    page = await client.post(send, data={"csrf_token": token, "channel": "email"})

    text = await page.text()
    assert page.status == 200 and "Portal created, but its link could not be sent yet" in text
    assert "A link is waiting to be sent (retried automatically)" in text
    assert await Job.filter(kind=portals.INVITATION_RETRY).count() == 1
