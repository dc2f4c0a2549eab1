"""View Documents and the API when a file's bytes are gone from the storage: a 503 (page or
JSON) before any header of the file; and file names isolated on the page."""

from __future__ import annotations

from typing import Any

import pytest

from taxportal.models import StaffUser, UploadedFile
from taxportal.services.accounts import staff as staff_service
from tests.api.conftest import Api
from tests.support import ADMIN_EMAIL
from tests.view_documents.conftest import PDF

OVERRIDE = "invoice\u202efdp.exe"


@pytest.fixture
async def api(staff_client: Any) -> Api:
    user = await StaffUser.get(email=ADMIN_EMAIL)
    return Api(staff_client, await staff_service.issue_api_token(user, "tests"), user)


async def test_bytes_gone_is_a_503_for_the_console_and_the_api(
    api: Api, core_of: Any, seed: Any
) -> None:
    core = core_of(api.client)
    client = await seed()
    file_id = await client.upload(core, "W-2.pdf", PDF)
    await core.plugins.storage.delete((await UploadedFile.get(id=file_id)).storage_key)

    page = await api.client.get(f"{client.page}/{file_id}")
    assert page.status == 503 and page.content_type == "text/html"
    assert "Content-Disposition" not in page.headers
    zipped = await api.client.get(f"{client.page}/all.zip")
    assert zipped.status == 503 and "Content-Disposition" not in zipped.headers

    content = f"/api/v1/returns/{client.tax_return.id}/uploads/{file_id}/content"
    status, body, _ = await api.call("GET", content)
    assert status == 503 and body == {"error": "the file's bytes could not be read from storage"}


async def test_names_are_isolated_on_the_page(staff_client: Any, core_of: Any, seed: Any) -> None:
    client = await seed()
    file_id = await client.upload(core_of(staff_client), OVERRIDE, PDF)
    html = await (await staff_client.get(client.page)).text()
    assert f'<a href="{client.page}/{file_id}" download><bdi>{OVERRIDE}</bdi></a>' in html
