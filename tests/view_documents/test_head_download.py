"""A HEAD on a staff download reads no bytes, so the file is not "opened by the preparer"
(the taxpayer can still remove it); only a real download opens it."""

from __future__ import annotations

from taxportal.models import UploadedFile
from taxportal.services.uploads import intake as uploads
from tests.view_documents.conftest import PDF


async def test_head_on_a_download_does_not_open_the_file(staff_client, core_of, seed):
    client = await seed()
    core = core_of(staff_client)
    file_id = await client.upload(core, "W-2.pdf", PDF)

    for path in (f"{client.page}/{file_id}", f"{client.page}/all.zip"):
        response = await staff_client.head(path)
        assert response.status == 200, path
        assert response.headers["Content-Disposition"].startswith("attachment; ")

    assert (await UploadedFile.get(id=file_id)).opened_by_preparer_at is None
    await uploads.remove(core, client.taxpayer, client.portal.id, file_id)  # still allowed
    assert not await UploadedFile.filter(id=file_id, deleted_at__isnull=True).exists()


async def test_a_real_download_opens_the_file(staff_client, core_of, seed):
    client = await seed()
    core = core_of(staff_client)
    file_id = await client.upload(core, "W-2.pdf", PDF)

    response = await staff_client.get(f"{client.page}/{file_id}")

    assert response.status == 200 and await response.read() == PDF
    assert (await UploadedFile.get(id=file_id)).opened_by_preparer_at is not None
    try:
        await uploads.remove(core, client.taxpayer, client.portal.id, file_id)
    except uploads.UploadError as refusal:
        assert refusal.kind == "opened"
    else:
        raise AssertionError("an opened file was removed")
