"""Storage down or missing, and a notifier that fails: clear errors, no row without bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from taxportal import hookimpl
from taxportal.contracts import DeliveryError
from taxportal.models import ActivityEntry, Job, Portal, PreparerDocument, TaxReturn
from taxportal.services.documents import preparer as documents
from taxportal.services.documents.access import Principal
from tests.preparer_documents.pdfs import pdf
from tests.support import BrokenStoragePlugin

PREPARER = Principal("staff", 1, "198.51.100.4")


class FailingEmail:
    name = "failing_email"
    channel = "email"

    async def send(self, message: Any) -> Any:
        raise DeliveryError("SMTP server refused the recipient")


class FailingEmailPlugin:
    @hookimpl
    def taxportal_notifiers(self, config: Any) -> list[Any]:
        return [FailingEmail()]


async def chunked(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_storage_down_leaves_no_row(started: Any) -> None:
    core = await started(
        BrokenStoragePlugin(ConnectionRefusedError("connection refused by 10.0.0.9:9000")),
        TAXPORTAL_PLUGINS__DISABLED='["storage_local"]',
        TAXPORTAL_STORAGE__BACKEND="broken",
    )
    tax_return = await TaxReturn.create(tax_year=2025, last_name="Down")
    with pytest.raises(documents.DocumentError) as caught:
        await documents.add(core, PREPARER, tax_return.id, "Form 1040.pdf", chunked(pdf()))
    assert caught.value.kind == "storage" and "try again" in caught.value.message
    assert "10.0.0.9" not in caught.value.message
    assert await PreparerDocument.all().count() == 0
    failed = await ActivityEntry.filter(action="document_store_failed").get()
    assert failed.detail == {"reason": "ConnectionRefusedError"}


async def test_no_storage_plugin(started: Any) -> None:
    core = await started(TAXPORTAL_PLUGINS__DISABLED='["storage_local"]')
    tax_return = await TaxReturn.create(tax_year=2025, last_name="None")
    with pytest.raises(documents.DocumentError) as caught:
        await documents.add(core, PREPARER, tax_return.id, "Form 1040.pdf", chunked(pdf()))
    assert caught.value.kind == "no_storage"


async def test_a_failed_notice_keeps_the_send_and_tells_the_preparer(started: Any) -> None:
    core = await started(
        FailingEmailPlugin(),
        TAXPORTAL_PLUGINS__DISABLED='["notify_email"]',
        TAXPORTAL_NOTIFY__EMAIL="failing_email",
    )
    tax_return = await TaxReturn.create(
        tax_year=2025, last_name="Mailless", primary_email="m@example.com"
    )
    await Portal.create(tax_return=tax_return)
    row = await documents.add(core, PREPARER, tax_return.id, "Form 1040.pdf", chunked(pdf()))
    result = await documents.send(core, PREPARER, tax_return.id, [documents.Pick(row.id)])
    assert result.notified_by == "" and result.notice_retrying == "email"
    assert "retried automatically" in result.notice_problem
    assert (await PreparerDocument.get(id=row.id)).sent_at is not None
    failed = await ActivityEntry.filter(action="documents_notify_failed").get()
    assert failed.detail["retrying"] is True
    job = await Job.get(kind="documents_notice")  # a job keeps trying (ids only)
    assert set(job.payload) == {"return_id", "portal_id", "count", "sign"}
    assert job.payload["return_id"] == tax_return.id and job.state == "queued"
