"""The documents API: a tax program adds PDFs to a return, lists and sends them, with a token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from taxportal.models import ActivityEntry, PreparerDocument, SignatureRequest, StaffUser
from taxportal.services.accounts import staff as staff_service
from taxportal.web.api import returns as api_module
from tests.api.schema_check import problems
from tests.preparer_documents.conftest import Firm
from tests.preparer_documents.pdfs import EXE, encrypted_pdf, pdf
from tests.support import ADMIN_EMAIL

SPEC: dict[str, Any] = json.loads(Path(api_module.OPENAPI).read_text())
DOCS = "/api/v1/returns/{return_id}/documents"


def conforms(body: Any, path: str, method: str, status: int) -> None:
    documented = SPEC["paths"][path][method]["responses"][str(status)]
    assert problems(body, documented["content"]["application/json"]["schema"], SPEC) == []


@pytest.fixture
async def token(firm: Firm) -> str:
    user = await StaffUser.get(email=ADMIN_EMAIL)
    return await staff_service.issue_api_token(user, "tests")


async def call(firm: Firm, token: str, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    response = await firm.staff.request(method, path, headers=headers, **kwargs)
    return response.status, await response.json()


async def add(firm: Firm, token: str, name: str, data: bytes) -> Any:
    return await call(
        firm,
        token,
        "POST",
        f"/api/v1/returns/{firm.return_id}/documents?file_name={quote(name)}",
        data=data,
        headers={"Content-Type": "application/pdf"},
    )


async def test_upload_list_and_send_with_a_token(firm: Firm, token: str) -> None:
    data = pdf(2)
    status, created = await add(firm, token, "2025 Form 8879 – Núñez.pdf", data)
    assert status == 201, created
    conforms(created, DOCS, "post", 201)
    assert created["file_name"] == "2025 Form 8879 – Núñez.pdf"
    assert (created["pages"], created["size"], created["state"]) == (2, len(data), "not_sent")
    # the name may come in a header too, percent-encoded
    status, second = await call(
        firm,
        token,
        "POST",
        f"/api/v1/returns/{firm.return_id}/documents",
        data=pdf(),
        headers={"Content-Type": "application/pdf", "X-File-Name": quote("Form 1040 ✓.pdf")},
    )
    assert status == 201 and second["file_name"] == "Form 1040 ✓.pdf"

    status, listed = await call(firm, token, "GET", f"/api/v1/returns/{firm.return_id}/documents")
    assert status == 200
    conforms(listed, DOCS, "get", 200)
    assert [d["id"] for d in listed["items"]] == [second["id"], created["id"]]

    status, sent = await call(
        firm,
        token,
        "POST",
        f"/api/v1/returns/{firm.return_id}/documents/send",
        json={"documents": [{"id": created["id"], "signers": ["taxpayer"]}, {"id": second["id"]}]},
    )
    assert status == 200, sent
    conforms(sent, DOCS + "/send", "post", 200)
    assert sent["notified_by"] == "email" and sent["notice_problem"] is None
    entry = await ActivityEntry.filter(action="documents_sent").get()
    user = await StaffUser.get(email=ADMIN_EMAIL)
    assert (entry.actor, entry.address) == (f"api:{user.id}", "127.0.0.1")  # the token acts
    assert [d["signatures"] for d in sent["sent"]] == [{"taxpayer": "pending"}, {}]

    # a new version through the API supersedes the old one and voids its request
    status, newer = await add(firm, token, "2025 FORM 8879 – NÚÑEZ.PDF", pdf(1, "v2"))
    status, again = await call(
        firm,
        token,
        "POST",
        f"/api/v1/returns/{firm.return_id}/documents/send",
        json={"documents": [{"id": newer["id"]}]},
    )
    assert status == 200 and again["superseded"] == [created["id"]]
    assert again["voided_signature_requests"] == 1
    assert (await SignatureRequest.get(document_id=created["id"])).status == "voided"
    status, listed = await call(firm, token, "GET", f"/api/v1/returns/{firm.return_id}/documents")
    states = {d["id"]: (d["state"], d["replaced_by"]) for d in listed["items"]}
    assert states[created["id"]] == ("superseded", newer["id"])
    conforms(listed, DOCS, "get", 200)
    listing = await (await firm.taxpayer.get("/portal/preparer-files")).text()
    assert "2025 FORM 8879 – NÚÑEZ.PDF" in listing and "2025 Form 8879 – Núñez.pdf" not in listing


@pytest.mark.parametrize(
    ("data", "content_type", "status", "reason"),
    [
        (encrypted_pdf(), "application/pdf", 422, "encrypted"),
        (EXE, "application/pdf", 422, "not_pdf"),
        (b"", "application/pdf", 422, "empty"),
        (pdf(), "application/octet-stream", 415, None),
    ],
)
async def test_refusals_store_nothing(
    firm: Firm, token: str, data: bytes, content_type: str, status: int, reason: str | None
) -> None:
    answered, body = await call(
        firm,
        token,
        "POST",
        f"/api/v1/returns/{firm.return_id}/documents?file_name=x.pdf",
        data=data,
        headers={"Content-Type": content_type},
    )
    assert answered == status, body
    conforms(body, DOCS, "post", status)
    if reason:
        assert body["fields"] == {"reason": reason}
    assert await PreparerDocument.all().count() == 0 and firm.stored() == []


async def test_what_the_api_refuses_to_send(firm: Firm, token: str) -> None:
    status, created = await add(firm, token, "Form 8879.pdf", pdf())
    send = f"/api/v1/returns/{firm.return_id}/documents/send"
    cases = [
        ({"documents": [{"id": created["id"], "signers": ["spouse"]}]}, 422),  # not joint
        ({"documents": [{"id": created["id"], "signers": ["neighbour"]}]}, 422),
        ({"documents": []}, 422),
        ({"documents": [{"id": created["id"] + 100}]}, 404),
    ]
    for body, expected in cases:
        answered, error = await call(firm, token, "POST", send, json=body)
        assert answered == expected, (body, error)
        conforms(error, DOCS + "/send", "post", expected)
    status, missing = await call(firm, token, "GET", "/api/v1/returns/999999/documents")
    assert status == 404 and missing == {"error": "no return with id 999999"}
    status, _ = await add(firm, token, "", pdf())
    assert status == 422
    assert (await PreparerDocument.get(id=created["id"])).sent_at is None


async def test_every_documents_route_needs_a_token(firm: Firm) -> None:
    base = f"/api/v1/returns/{firm.return_id}/documents"
    for method, path, kwargs in (
        ("GET", base, {}),
        ("POST", f"{base}?file_name=a.pdf", {"data": pdf()}),
        ("POST", f"{base}/send", {"json": {"documents": [{"id": 1}]}}),
    ):
        for header in ({}, {"Authorization": "Bearer tp_not-a-real-token"}):
            response = await firm.staff.request(method, path, headers=header, **kwargs)
            assert response.status == 401, (method, path)
            assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await PreparerDocument.all().count() == 0
