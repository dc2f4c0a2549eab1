"""Uploads through HTTP, as signed-in taxpayers: another taxpayer's file is a 404 and a
denial in the log against the file's own portal, Home writes nothing to the log, and fifty
uploads from ten taxpayers at once each land in the right portal with the right bytes."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp.test_utils import TestClient

from taxportal.models import ActivityEntry, Portal, TaxpayerAccount, UploadedFile
from tests.accounts.journey import (
    code_in,
    enter_code,
    form_token,
    invited,
    newest_sms_text,
    register,
    send_code,
)
from tests.uploads.helpers import PDF, pdf_of, sha256


async def taxpayer(client: TestClient, n: int) -> TestClient:
    """Taxpayer ``n`` (own return, portal and account) invited, registered and verified."""
    link = await invited(
        client,
        first_name=f"Pat{n}",
        last_name=f"Doe{n}",
        ssn=f"400-12-{5000 + n}",
        primary_email=f"pat{n}@example.com",
        mobile_phone=f"(706) 555-{1000 + n}",
    )
    fields = {
        "username": f"pat{n}",
        "email": f"pat{n}@example.com",
        "last_name": f"doe{n}",
        "ssn_last4": str(5000 + n),
    }
    assert (await register(client, link, **fields)).status == 303
    assert (await send_code(client)).status == 303
    response = await enter_code(client, code_in(newest_sms_text(client)))
    assert response.status == 303 and response.headers["Location"] == "/portal/"
    return client


async def taxpayers(build_app: Any, client_for: Any, count: int) -> list[TestClient]:
    """``count`` taxpayers on one app, each in a client (cookies) of their own."""
    app = await build_app()
    return [await taxpayer(await client_for(app), n) for n in range(count)]


async def put(client: TestClient, name: str, data: bytes, csrf: str) -> Any:
    """What the upload window sends: the raw body, the name in the query, the token in a header."""
    response = await client.put(
        "/portal/files/upload",
        params={"name": name},
        data=data,
        headers={
            "Accept": "application/json",
            "Content-Type": "application/octet-stream",
            "X-CSRF-Token": csrf,
        },
    )
    assert response.status == 201, await response.text()
    return await response.json()


async def listed(client: TestClient) -> dict[str, int]:
    """File name -> id, as "My Files" lists them."""
    html = await (await client.get("/portal/files")).text()
    found = re.findall(r'<a class="file-name" href="/portal/files/(\d+)" download>(.*?)</a>', html)
    return {re.sub(r"<[^>]*>", "", name): int(file_id) for file_id, name in found}  # <bdi>


async def portal_of(username: str) -> tuple[str, int]:
    """The actor the log names a taxpayer by, and their portal."""
    account = await TaxpayerAccount.get(username_key=username)
    return f"taxpayer:{account.id}", int(account.portal_id)  # type: ignore[attr-defined]


async def test_anothers_upload_is_a_404_and_a_denial_on_its_own_portal(
    build_app: Any, client_for: Any
) -> None:
    a, b = await taxpayers(build_app, client_for, 2)
    body = await put(b, "W-2.pdf", PDF, await form_token(b, "/portal/files"))
    file_id = body["file"]["id"]
    a_actor, a_portal = await portal_of("pat0")
    _, b_portal = await portal_of("pat1")
    before = await ActivityEntry.filter(actor=a_actor).count()

    assert (await a.get(f"/portal/files/{file_id}")).status == 404
    token = await form_token(a, "/portal/files")
    response = await a.post(f"/portal/files/{file_id}/remove", data={"csrf_token": token})
    assert response.status == 404
    assert (await a.get("/portal/files/999999")).status == 404

    entries = await ActivityEntry.filter(actor=a_actor).order_by("id").offset(before)
    files = [e for e in entries if e.action.startswith("file_") and e.action != "file_list"]
    assert [(e.action, e.subject, e.detail.get("wanted"), e.detail["file_id"]) for e in files] == [
        ("file_access_denied", f"portal:{b_portal}", "download", file_id),
        ("file_access_denied", f"portal:{b_portal}", "read", file_id),  # remove reads first
        ("file_access_denied", f"portal:{a_portal}", "download", 999999),  # no such file
    ]
    assert await UploadedFile.filter(id=file_id, deleted_at__isnull=True).exists()
    assert (await b.get(f"/portal/files/{file_id}")).status == 200  # still B's


async def test_home_visits_write_nothing_to_the_log(build_app: Any, client_for: Any) -> None:
    [client] = await taxpayers(build_app, client_for, 1)
    await put(client, "W-2.pdf", PDF, await form_token(client, "/portal/files"))
    await put(client, "1099.pdf", PDF + b"2", await form_token(client, "/portal/files"))
    entries = await ActivityEntry.all().count()

    for _ in range(2):
        response = await client.get("/portal/")
        assert response.status == 200
        assert "2 Files Uploaded" in await response.text()

    assert await ActivityEntry.all().count() == entries


async def test_fifty_uploads_from_ten_signed_in_taxpayers_at_once(
    build_app: Any, client_for: Any
) -> None:
    clients = await taxpayers(build_app, client_for, 10)
    tokens = [await form_token(client, "/portal/files") for client in clients]
    sent = {
        (n, f"doc {k}.pdf"): pdf_of(20_000 + 997 * k + 131 * n, seed=n * 100 + k)
        for n in range(10)
        for k in range(5)
    }

    answers = await asyncio.gather(
        *(put(clients[n], name, data, tokens[n]) for (n, name), data in sent.items())
    )

    assert [a["status"] for a in answers] == ["stored"] * 50
    for n, client in enumerate(clients):
        files = await listed(client)
        assert sorted(files) == [f"doc {k}.pdf" for k in range(5)]  # exactly their own five
        _, portal_id = await portal_of(f"pat{n}")
        for name, file_id in files.items():
            response = await client.get(f"/portal/files/{file_id}")
            assert response.status == 200
            assert sha256(await response.read()) == sha256(sent[(n, name)])
            row = await UploadedFile.get(id=file_id)
            assert row.portal_id == portal_id  # type: ignore[attr-defined]
            assert row.storage_key.startswith(f"u/{portal_id}/")
    assert await UploadedFile.filter(state="stored").count() == 50
    assert await UploadedFile.filter(state="uploading").count() == 0
    assert await Portal.all().count() == 10
