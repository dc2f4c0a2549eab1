"""The console's Jobs page: admins see failed and retrying jobs and retry them."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from taxportal import i18n
from taxportal.jobs import store
from taxportal.models import ActivityEntry, Job, TaxReturn
from taxportal.services.accounts import staff as staff_service
from tests.support import csrf_from, sign_in

PREPARER_EMAIL = "preparer@evanstax.example"
PREPARER_PASSWORD = "a long preparer password"


async def failed_job(kind: str = "webhook_delivery") -> Job:
    now = store.now_ms()
    return await Job.create(
        kind=kind,
        payload={"id": 4},
        state="failed",
        run_after=now,
        attempts=8,
        max_attempts=8,
        last_error="DeliveryError: SMTP server refused the connection",
        created_at=now,
        updated_at=now,
    )


async def test_admin_sees_a_failed_job_and_retries_it(staff_client: TestClient) -> None:
    job = await failed_job()
    page = await (await staff_client.get("/staff/jobs")).text()
    assert "webhook_delivery" in page and "SMTP server refused the connection" in page
    assert "8 / 8" in page and 'href="/staff/jobs"' in page  # and in the console's menu

    refused = await staff_client.post(f"/staff/jobs/{job.id}/retry", allow_redirects=False)
    assert refused.status == 403  # no CSRF token
    token = await csrf_from(staff_client, "/staff/jobs")
    response = await staff_client.post(
        f"/staff/jobs/{job.id}/retry", data={"csrf_token": token}, allow_redirects=False
    )
    assert response.status == 303
    job = await Job.get(id=job.id)
    assert job.state == "queued" and job.attempts == 0 and job.run_after <= store.now_ms()
    assert await ActivityEntry.filter(action="job_retried", subject=f"job:{job.id}").count() == 1
    page = await (await staff_client.get(response.headers["Location"])).text()
    assert "will run again" in page


def test_the_page_texts_have_spanish() -> None:
    """The console itself is shown in English (base.html); its texts are in the catalog."""
    assert i18n.gettext_for("es", "Retry now") == "Reintentar ahora"
    assert i18n.gettext_for("es", "Retrying at %(time)s", time="10:00") == (
        "Se reintentará a las 10:00"
    )
    assert "seguiremos" in i18n.gettext_for(
        "es", "The email to the taxpayer could not go out yet; we will keep trying."
    )


async def test_a_preparer_is_refused(
    staff_client: TestClient, client_for: Any, core_of: Any
) -> None:
    job = await failed_job()
    core = core_of(staff_client)
    await staff_service.add_staff(core, PREPARER_EMAIL, PREPARER_PASSWORD, "preparer")
    preparer = await client_for(staff_client.app)
    await sign_in(preparer, PREPARER_EMAIL, PREPARER_PASSWORD)
    assert (await preparer.get("/staff/jobs")).status == 403
    token = await csrf_from(preparer, "/staff/")
    response = await preparer.post(
        f"/staff/jobs/{job.id}/retry", data={"csrf_token": token}, allow_redirects=False
    )
    assert response.status == 403
    assert (await Job.get(id=job.id)).state == "failed"
    assert 'href="/staff/jobs"' not in await (await preparer.get("/staff/")).text()


async def test_the_preparer_reads_that_the_notice_is_retried(staff_client: TestClient) -> None:
    tax_return = await TaxReturn.create(tax_year=2025, last_name="Diaz")
    page = await (
        await staff_client.get(
            f"/staff/returns/{tax_return.id}/documents?done=sent&n=1&told=retry-email"
        )
    ).text()
    assert "1 document sent." in page
    assert "could not go out yet; we will keep trying" in page
