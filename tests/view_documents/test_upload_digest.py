"""The preparer's digest of new uploads: hourly at most, through the real notify_email plugin."""

from __future__ import annotations

import asyncio
import datetime as dt
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from taxportal.contracts import DeliveryError
from taxportal.jobs import Worker, store
from taxportal.models import ActivityEntry, Job, Portal, StaffUser, UploadedFile
from taxportal.services.accounts import staff as staff_service
from taxportal.services.uploads import digest as upload_digest
from taxportal.services.uploads.digest import send_due_digests
from tests.support import ADMIN_EMAIL, SENTINEL_SSN
from tests.view_documents.conftest import JPEG, PDF, PNG, seed_client

T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def outbox(core: Any) -> list[EmailMessage]:
    folder = Path(core.config.data_dir) / "outbox" / "email"
    if not folder.exists():
        return []
    mails = []
    for path in sorted(folder.glob("*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(mail, EmailMessage)
        mails.append(mail)
    return mails


def text_of(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()


async def test_two_uploads_one_email_then_nothing_for_an_hour(staff_client, core_of, seed):
    core = core_of(staff_client)
    client = await seed()
    await client.upload(core, "W-2 Acme.pdf", PDF)
    await client.upload(core, "1099-INT <bank>.jpg", JPEG)

    assert await send_due_digests(core, now=T0) == 1

    [mail] = outbox(core)
    assert mail["To"] == ADMIN_EMAIL
    assert mail["Subject"] == "Angela Evans: 2 new uploads"
    body = text_of(mail)
    assert "W-2 Acme.pdf" in body and "1099-INT <bank>.jpg" in body
    assert f"http://portal.test/staff/returns/{client.tax_return.id}/uploads" in body
    assert "6789" not in body and SENTINEL_SSN not in body and "6789" not in mail["Subject"]
    assert await UploadedFile.filter(notified_at__isnull=True).count() == 0

    # a third file ten minutes later waits until an hour after the first digest
    await client.upload(core, "1098 mortgage.png", PNG)
    assert await send_due_digests(core, now=T0 + 10 * MINUTE) == 0
    assert await send_due_digests(core, now=T0 + 59 * MINUTE) == 0
    assert len(outbox(core)) == 1
    assert await send_due_digests(core, now=T0 + 60 * MINUTE) == 1
    second = outbox(core)[-1]
    assert second["Subject"] == "Angela Evans: 1 new upload"
    assert "1098 mortgage.png" in text_of(second) and "W-2 Acme.pdf" not in text_of(second)
    assert await send_due_digests(core, now=T0 + 200 * MINUTE) == 0  # nothing new: no email
    entry = await ActivityEntry.filter(action="upload_digest_sent").order_by("id").first()
    assert entry is not None and entry.subject == f"portal:{client.portal.id}"
    assert entry.detail["recipient"].startswith("staff:")


async def test_each_client_gets_a_digest_of_their_own(staff_client, core_of, seed):
    core = core_of(staff_client)
    one, two = await seed(), await seed("Bruno", "Canales")
    await one.upload(core, "a.pdf", PDF)
    await two.upload(core, "b.pdf", PDF)

    assert await send_due_digests(core, now=T0) == 2

    subjects = sorted(m["Subject"] for m in outbox(core))
    assert subjects == ["Angela Evans: 1 new upload", "Bruno Canales: 1 new upload"]


async def test_reviewed_files_are_not_announced(staff_client, core_of, seed):
    core = core_of(staff_client)
    client = await seed()
    file_id = await client.upload(core, "seen.pdf", PDF)
    await UploadedFile.filter(id=file_id).update(reviewed_at=T0)

    assert await send_due_digests(core, now=T0) == 0
    assert outbox(core) == []


async def test_opted_out_or_inactive_preparer_sends_to_the_firm(
    build_app, client_for, core_of, make_config
):
    app = await build_app(TAXPORTAL_FIRM__EMAIL="Office@Evans-Tax.example")
    web_client = await client_for(app)
    core = core_of(web_client)
    opted_out = await staff_service.add_staff(core, "quiet@firm.example", "a long password 1")
    await StaffUser.filter(id=opted_out.id).update(notify_uploads=False)
    gone = await staff_service.add_staff(core, "gone@firm.example", "a long password 2")
    await StaffUser.filter(id=gone.id).update(is_active=False)
    for n, creator in enumerate((opted_out, gone, None)):
        client = await seed_client(f"Client{n}", "Firm", created_by=creator)
        await client.upload(core, f"file {n}.pdf", PDF + bytes([n]))

    assert await send_due_digests(core, now=T0) == 3

    mails = outbox(core)
    assert [m["To"] for m in mails] == ["office@evans-tax.example"] * 3
    assert "does not get these emails" in text_of(mails[0])


async def test_no_preparer_and_no_firm_address_sends_nothing(build_app, client_for, core_of):
    core = core_of(await client_for(await build_app()))
    client = await seed_client(created_by=None)
    await client.upload(core, "w2.pdf", PDF)

    assert await send_due_digests(core, now=T0) == 0
    assert outbox(core) == []
    assert (await Portal.get(id=client.portal.id)).upload_digest_at is None


async def test_a_failed_send_leaves_the_files_to_retry(staff_client, core_of, seed):
    core = core_of(staff_client)
    client = await seed()
    await client.upload(core, "w2.pdf", PDF)
    blocker = Path(core.config.data_dir) / "outbox"
    blocker.write_text("a file where the outbox folder should be")  # the plugin cannot write

    with pytest.raises(DeliveryError):  # the round fails: its job retries with a back-off
        await send_due_digests(core, now=T0)

    assert await UploadedFile.filter(notified_at__isnull=True).count() == 1
    assert (await Portal.get(id=client.portal.id)).upload_digest_at is None
    failed = await ActivityEntry.filter(action="upload_digest_failed").get()
    assert failed.detail["reason"] == "DeliveryError"
    blocker.unlink()
    assert await send_due_digests(core, now=T0 + MINUTE) == 1
    assert len(outbox(core)) == 1


async def test_two_concurrent_rounds_send_once(staff_client, core_of, seed):
    core = core_of(staff_client)
    clients = [await seed(f"Name{n}", "Same") for n in range(3)]
    for n, client in enumerate(clients):
        await client.upload(core, f"w2 {n}.pdf", PDF + bytes([n]))

    results = await asyncio.gather(*(send_due_digests(core, now=T0) for _ in range(4)))

    assert sum(results) == 3
    assert len(outbox(core)) == 3


async def test_the_digest_runs_as_a_periodic_job(staff_client, core_of, seed):
    core = core_of(staff_client)
    client = await seed()
    await client.upload(core, "w2.pdf", PDF)
    [job] = await Job.filter(kind=upload_digest.KIND)  # one for the site, made at start
    assert job.key == upload_digest.KIND and job.every_ms == 60_000
    await Job.filter(id=job.id).update(run_after=0)  # its minute is up

    worker = Worker(core.jobs, name="test")
    await worker.run_due()  # (or the app's own worker took it first: either sends once)
    for _ in range(250):
        if outbox(core):
            break
        await asyncio.sleep(0.02)

    assert len(outbox(core)) == 1
    job = await Job.get(id=job.id)  # still there, for the next round
    assert job.state == "queued" and job.run_after > store.now_ms() + 50_000
    await upload_digest.ensure_scheduled()  # every process ensures it: still one
    assert await Job.filter(kind=upload_digest.KIND).count() == 1
