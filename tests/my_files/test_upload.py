"""Uploading to "My Files" over HTTP: the upload window's JSON endpoint and the plain form."""

from __future__ import annotations

import shutil
from typing import Any

from taxportal.models import UploadedFile
from tests.my_files.conftest import (
    EXE,
    JPEG,
    PDF,
    listed_names,
    page,
    post_form,
    put_file,
    stored_files,
    token,
)

TYPE_REFUSAL = "This kind of file is not accepted. Accepted files: PDF, JPEG, PNG, HEIC, TIFF."


async def test_the_window_uploads_a_pdf_and_a_jpeg(signed_in: Any) -> None:
    client = await signed_in()
    status, body = await put_file(client, "W-2 2025.pdf", PDF)
    assert status == 201, body
    assert body["status"] == "stored" and body["message"] == "Uploaded."
    assert body["file"]["name"] == "W-2 2025.pdf"
    assert body["file"]["size"] == f"{len(PDF)} B"
    status, body = await put_file(client, "1099 photo.jpg", JPEG * 20)
    assert status == 201 and body["file"]["size"] == "6.1 KB", body
    row = await UploadedFile.get(id=body["file"]["id"])
    assert (row.content_type, row.size) == ("image/jpeg", len(JPEG) * 20)
    html = await page(client)
    assert listed_names(html) == ["1099 photo.jpg", "W-2 2025.pdf"]  # newest first
    assert "6.1 KB" in html and f"{len(PDF)} B" in html
    assert len(stored_files(client)) == 2


async def test_the_plain_form_uploads_without_javascript(signed_in: Any) -> None:
    client = await signed_in()
    html = await page(client)
    assert (
        'enctype="multipart/form-data"' in html
        and 'action="/portal/files/upload?csrf_token=' in html
    )
    assert 'accept="image/*" capture="environment"' in html and " multiple " in html
    response = await post_form(client, [("W-2.pdf", PDF), ("scan.jpg", JPEG)])
    assert response.status == 303 and response.headers["Location"] == "/portal/files"
    html = await page(client)
    assert listed_names(html) == ["scan.jpg", "W-2.pdf"]
    assert html.count("Uploaded.") == 2  # one note per file, said once
    assert "Uploaded." not in await page(client)
    response = await post_form(client, [])  # Upload pressed with nothing picked
    assert response.status == 303
    assert "Choose one or more files to upload." in await page(client)


async def test_names_are_shown_as_given_and_harmless(signed_in: Any) -> None:
    client = await signed_in()
    for name in ("<script>alert(1)</script>.pdf", "../../etc/passwd.pdf"):
        status, body = await put_file(client, name, PDF + name.encode())
        assert status == 201 and body["file"]["name"] == name
    html = await page(client)
    assert "<script>alert(1)" not in html
    assert listed_names(html) == [
        "../../etc/passwd.pdf",
        "&lt;script&gt;alert(1)&lt;/script&gt;.pdf",
    ]
    assert 'data-name="&lt;script&gt;alert(1)&lt;/script&gt;.pdf"' in html
    # The bytes are kept under keys the core made, inside the storage folder.
    for path in stored_files(client):
        assert "passwd" not in str(path) and "script" not in str(path)


async def test_the_same_file_twice_is_recognised(signed_in: Any) -> None:
    client = await signed_in()
    assert (await put_file(client, "W-2.pdf", PDF))[0] == 201
    status, body = await put_file(client, "W-2 again.pdf", PDF)
    assert status == 200 and body["status"] == "duplicate"
    assert body["message"] == "You already uploaded this file as “W-2.pdf”."
    await post_form(client, [("copy.pdf", PDF)])
    html = await page(client)
    assert "You already uploaded this file as “W-2.pdf”." in html
    assert listed_names(html) == ["W-2.pdf"]
    assert len(stored_files(client)) == 1


async def test_an_executable_renamed_pdf_is_refused(signed_in: Any) -> None:
    client = await signed_in()
    status, body = await put_file(client, "W-2.pdf", EXE)
    assert status == 415 and body["status"] == "refused" and body["kind"] == "type"
    assert body["message"] == TYPE_REFUSAL
    await post_form(client, [("W-2.pdf", EXE)])
    html = await page(client)
    assert TYPE_REFUSAL in html and listed_names(html) == []
    assert stored_files(client) == [] and await UploadedFile.all().count() == 0


async def test_an_empty_file_is_refused(signed_in: Any) -> None:
    client = await signed_in()
    status, body = await put_file(client, "empty.pdf", b"")
    assert status == 400 and body["message"] == "The file is empty."
    await post_form(client, [("empty.pdf", b"")])
    assert "The file is empty." in await page(client)
    assert await UploadedFile.all().count() == 0


async def test_a_name_with_control_characters_is_refused(signed_in: Any) -> None:
    client = await signed_in()
    status, body = await put_file(client, "W-2\r\nSet-Cookie: x=1.pdf", PDF)
    assert status == 400 and body["kind"] == "name", body
    assert body["message"] == "This file name cannot be used. Rename the file and try again."


async def test_over_the_per_file_cap_nothing_is_kept(signed_in: Any) -> None:
    client = await signed_in(TAXPORTAL_UPLOADS__MAX_FILE_MB="0.05")  # 51.2 KiB
    big = PDF + b"\x00" * 200_000
    status, body = await put_file(client, "big.pdf", big)
    assert status == 413 and body["message"] == "The file is larger than 0.05 MB."
    await post_form(client, [("big.pdf", big), ("small.pdf", PDF)])
    html = await page(client)
    assert "The file is larger than 0.05 MB." in html and "Up to 0.05 MB" not in html
    assert listed_names(html) == ["small.pdf"]  # the next file of the form still went in
    assert len(stored_files(client)) == 1 and await UploadedFile.all().count() == 1
    assert 'data-name="small.pdf"' in html and '"maxBytes": 52428' in html


async def test_without_the_csrf_token_nothing_is_uploaded(signed_in: Any) -> None:
    client = await signed_in()
    assert (await put_file(client, "W-2.pdf", PDF, csrf=""))[0] == 403
    assert (await put_file(client, "W-2.pdf", PDF, csrf="forged-token"))[0] == 403
    assert (await post_form(client, [("W-2.pdf", PDF)], csrf="forged-token")).status == 403
    assert (await post_form(client, [("W-2.pdf", PDF)], csrf="")).status == 403
    assert stored_files(client) == [] and await UploadedFile.all().count() == 0
    assert (await put_file(client, "W-2.pdf", PDF, csrf=await token(client)))[0] == 201


async def test_storage_down_is_said_and_nothing_is_listed(signed_in: Any) -> None:
    client = await signed_in()
    status, body = await put_file(client, "first.pdf", PDF)
    assert status == 201
    first = body["file"]["id"]
    # The storage folder becomes a plain file: the local backend can no longer write or read.
    root = stored_files(client)[0].parents[1]
    shutil.rmtree(root)
    root.write_bytes(b"")
    status, body = await put_file(client, "W-2.pdf", PDF + b"2")
    assert status == 503 and body["kind"] == "storage"
    assert body["message"] == "The file could not be stored. Please try again in a few minutes."
    await post_form(client, [("W-2.pdf", PDF + b"2")])
    html = await page(client)
    assert "The file could not be stored." in html and listed_names(html) == ["first.pdf"]
    assert await UploadedFile.all().count() == 1
    response = await client.get(f"/portal/files/{first}")
    assert response.status == 503  # said as a page, before any header of a download


async def test_the_form_takes_names_as_browsers_send_them(signed_in: Any) -> None:
    """Raw UTF-8 in the part's header, and a double quote written as %22 (HTML forms)."""
    client = await signed_in()
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="files"; '
        b'filename="recibo a\xc3\xb1o \xe2\x9c\x93 %22final%22.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--XX--\r\n"
    )
    response = await client.post(
        "/portal/files/upload",
        params={"csrf_token": await token(client)},
        data=body,
        headers={"Content-Type": "multipart/form-data; boundary=XX"},
        allow_redirects=False,
    )
    assert response.status == 303
    assert listed_names(await page(client)) == ["recibo año ✓ &#34;final&#34;.pdf"]
