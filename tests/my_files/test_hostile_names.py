"""File names that try something: in the upload window's header, on the page (bidi
overrides), as a download (a PDF named .bat or .html); and bytes gone from the storage."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from taxportal.models import UploadedFile
from taxportal.web.keys import CORE
from tests.my_files.conftest import PDF, listed_names, page, put_file, token

OVERRIDE = "invoice\u202efdp.exe"  # shows as "invoiceexe.pdf" without isolation


async def _upload(client: Any, name: str, data: bytes) -> int:
    status, body = await put_file(client, name, data)
    assert status == 201, body
    return int(body["file"]["id"])


async def test_the_name_comes_in_a_percent_encoded_header(signed_in: Any) -> None:
    client = await signed_in()
    name = "W-2 $& $` $' año ✓.pdf"
    status, body = await put_file(client, name, PDF + b"1")  # X-File-Name, not the URL
    assert status == 201 and body["file"]["name"] == name
    headers = {"X-CSRF-Token": await token(client), "Accept": "application/json"}
    bad = await client.put(
        "/portal/files/upload", data=PDF + b"2", headers={**headers, "X-File-Name": "%FF.pdf"}
    )
    assert bad.status == 400 and (await bad.json())["kind"] == "name"  # not UTF-8
    # scripts that still put the name in ?name= keep working
    old = await client.put(
        "/portal/files/upload", params={"name": "old way.pdf"}, data=PDF + b"3", headers=headers
    )
    assert old.status == 201 and (await old.json())["file"]["name"] == "old way.pdf"
    assert sorted(listed_names(await page(client))) == sorted(
        ["W-2 $&amp; $` $&#39; año ✓.pdf", "old way.pdf"]
    )


async def test_names_are_isolated_on_the_page(signed_in: Any) -> None:
    client = await signed_in()
    file_id = await _upload(client, OVERRIDE, PDF + b"o")
    assert listed_names(await page(client)) == [OVERRIDE]  # shown as given, inside <bdi>
    confirm = await page(client, f"/portal/files/{file_id}/remove")
    assert f'<p class="file-name"><bdi>{OVERRIDE}</bdi></p>' in confirm


async def test_a_pdf_named_bat_or_html_downloads_as_pdf(signed_in: Any) -> None:
    client = await signed_in()
    for number, name in enumerate(("W-2 2025.bat", "page.html", "W-2 2025.pdf")):
        file_id = await _upload(client, name, PDF + bytes([number]))
        response = await client.get(f"/portal/files/{file_id}")
        assert response.status == 200 and response.content_type == "application/pdf"
        disposition = response.headers["Content-Disposition"]
        sent = unquote(disposition.rpartition("''")[2])
        assert sent == (name if name.endswith(".pdf") else name + ".pdf"), disposition
        assert re.search(r'filename="[^"]*\.pdf"', disposition)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        assert response.headers["Content-Security-Policy"].startswith("sandbox;")
        assert (await UploadedFile.get(id=file_id)).file_name == name  # kept as given
    assert quote("page.html") in "".join(listed_names(await page(client)))


async def test_a_download_whose_bytes_are_gone_is_a_503_page(signed_in: Any) -> None:
    client = await signed_in()
    file_id = await _upload(client, "W-2.pdf", PDF)
    row = await UploadedFile.get(id=file_id)
    await client.app[CORE].plugins.storage.delete(row.storage_key)

    response = await client.get(f"/portal/files/{file_id}")
    assert response.status == 503 and response.content_type == "text/html"
    assert "Content-Disposition" not in response.headers
