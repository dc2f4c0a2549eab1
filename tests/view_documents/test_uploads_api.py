"""The REST API of the taxpayer's uploads: list a return's files and download one, by token."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from taxportal.models import ActivityEntry, Portal, StaffUser, UploadedFile
from taxportal.services.accounts import staff as staff_service
from taxportal.web.api import returns as api_module
from tests.api.conftest import Api
from tests.api.schema_check import problems
from tests.support import ADMIN_EMAIL
from tests.view_documents.conftest import JPEG, PDF, seed_client

SPEC: dict[str, Any] = json.loads(Path(api_module.OPENAPI).read_text())
LIST = "/api/v1/returns/{return_id}/uploads"
CONTENT = "/api/v1/returns/{return_id}/uploads/{file_id}/content"


@pytest.fixture
async def api(staff_client) -> Api:
    user = await StaffUser.get(email=ADMIN_EMAIL)
    return Api(staff_client, await staff_service.issue_api_token(user, "tests"), user)


def conforms(body: Any, path: str, status: int) -> list[str]:
    documented = SPEC["paths"][path]["get"]["responses"]
    assert str(status) in documented, f"GET {path} answered {status}, not documented"
    schema = documented[str(status)]["content"]["application/json"]["schema"]
    return problems(body, schema, SPEC)


async def test_list_and_download_with_a_token(api: Api, core_of):
    core = core_of(api.client)
    client = await seed_client()
    first = await client.upload(core, "W-2 ✓.pdf", PDF)
    second = await client.upload(core, '../"scan".jpg', JPEG)
    await UploadedFile.filter(id=first).update(reviewed_at=await _uploaded_at(second))
    return_id = client.tax_return.id

    status, body, _ = await api.call("GET", f"/api/v1/returns/{return_id}/uploads")

    assert status == 200
    assert conforms(body, LIST, status) == []
    assert [item["id"] for item in body["items"]] == [second, first]  # newest first
    item = body["items"][0]
    assert (item["file_name"], item["size"], item["content_type"]) == (
        '../"scan".jpg',
        len(JPEG),
        "image/jpeg",
    )
    assert item["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert item["reviewed_at"] is None and body["items"][1]["reviewed_at"] is not None

    response = await api.client.get(
        f"/api/v1/returns/{return_id}/uploads/{second}/content", headers=api.headers
    )
    assert response.status == 200
    assert await response.read() == JPEG
    assert response.content_type == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="_')
    entry = await ActivityEntry.filter(action="file_download").order_by("-id").first()
    assert entry is not None and entry.actor == f"api:{api.user.id}"
    assert (await UploadedFile.get(id=second)).opened_by_preparer_at is not None


async def _uploaded_at(file_id: int) -> Any:
    return (await UploadedFile.get(id=file_id)).uploaded_at


async def test_no_token_is_401(api: Api, core_of):
    client = await seed_client()
    file_id = await client.upload(core_of(api.client), "w2.pdf", PDF)
    return_id = client.tax_return.id
    for path in (
        f"/api/v1/returns/{return_id}/uploads",
        f"/api/v1/returns/{return_id}/uploads/{file_id}/content",
    ):
        for headers in ({"Authorization": ""}, {"Authorization": "Bearer tp_wrong"}):
            response = await api.client.get(path, headers=headers)
            assert response.status == 401, path
            assert conforms(await response.json(), LIST, 401) == []


async def test_another_returns_file_or_unknown_ids_are_404(api: Api, core_of):
    core = core_of(api.client)
    mine, other = await seed_client(), await seed_client("Bruno", "Canales")
    await mine.upload(core, "mine.pdf", PDF)
    theirs = await other.upload(core, "theirs.pdf", JPEG)
    no_portal = await seed_client("Carla", "Sinportal")
    await Portal.filter(id=no_portal.portal.id).delete()

    for path, template in (
        (f"/api/v1/returns/{mine.tax_return.id}/uploads/{theirs}/content", CONTENT),
        (f"/api/v1/returns/{mine.tax_return.id}/uploads/999999/content", CONTENT),
        (f"/api/v1/returns/{no_portal.tax_return.id}/uploads/{theirs}/content", CONTENT),
        ("/api/v1/returns/999999/uploads", LIST),
        ("/api/v1/returns/99999999999999/uploads", LIST),
    ):
        status, body, _ = await api.call("GET", path)
        assert status == 404, path
        assert conforms(body, template, status) == []
    status, body, _ = await api.call("GET", f"/api/v1/returns/{no_portal.tax_return.id}/uploads")
    assert (status, body) == (200, {"items": []})
