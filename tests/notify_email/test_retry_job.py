"""A notice the SMTP server could not take is retried by a job once the server is back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiosmtpd.controller import Controller

from taxportal.jobs import Worker
from taxportal.models import ActivityEntry, Job, Portal, TaxReturn
from taxportal.services.documents import preparer as documents
from taxportal.services.documents.access import Principal
from tests.notify_email.conftest import CollectingHandler, free_port
from tests.preparer_documents.pdfs import pdf

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
