"""The mail server refuses the preparer's notice: the decline stands and a job retries."""

from __future__ import annotations

from typing import Any

from taxportal.models import ActivityEntry, Job, Portal, SigningConsent, StaffUser, TaxReturn
from taxportal.services.accounts import staff as staff_service
from taxportal.services.documents.access import Principal
from taxportal.services.signing import consent
from tests.preparer_documents.test_failures import FailingEmailPlugin
from tests.support import ADMIN_EMAIL, ADMIN_PASSWORD


async def test_a_refused_notice_keeps_the_decision_and_queues_a_retry(started: Any) -> None:
    core = await started(
        FailingEmailPlugin(),
        TAXPORTAL_PLUGINS__DISABLED='["notify_email"]',
        TAXPORTAL_NOTIFY__EMAIL="failing_email",
    )
    await staff_service.add_staff(core, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    preparer = await StaffUser.get(email=ADMIN_EMAIL)
    tax_return = await TaxReturn.create(tax_year=2025, last_name="Papel", primary_email="p@x.com")
    portal = await Portal.create(tax_return=tax_return, created_by=preparer)
    who = Principal("taxpayer", 1, "203.0.113.9", portal_id=portal.id)

    row = await consent.record(core, who, "taxpayer", "declined", "en")

    assert (await SigningConsent.get(id=row.id)).decision == "declined"
    job = await Job.get(kind="consent_notice")
    assert job.payload == {"consent_id": row.id} and job.state == "queued"  # ids only
    failed = await ActivityEntry.get(action="signing_consent_notice_failed")
    assert failed.detail == {"reason": "DeliveryError", "retrying": True}
    assert "consent_notice" in core.jobs.kinds()
