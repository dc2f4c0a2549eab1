"""The "My Files" list, download, remove, who may see what, Home's card and Spanish."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from taxportal.models import UploadedFile
from taxportal.services.documents.access import Principal
from taxportal.services.uploads import intake as uploads
from taxportal.web.keys import CORE
from tests.accounts.journey import form_token, sign_out
from tests.i18n.spanish_walk import assert_spanish_page
from tests.my_files.conftest import (
    JPEG,
    PDF,
    listed_names,
    page,
    put_file,
    second_taxpayer,
    stored_files,
)

PREPARER = Principal("staff", 1, "198.51.100.4")


async def uploaded(client: Any, name: str, data: bytes = PDF) -> int:
    status, body = await put_file(client, name, data)
    assert status == 201, body
    return int(body["file"]["id"])


async def preparer_opens(client: Any, file_id: int) -> None:
    """The preparer downloads the file through the service, as View Documents does."""
    row = await UploadedFile.get(id=file_id)
    _, stream = await uploads.open_stream(client.app[CORE], PREPARER, row.portal_id, file_id)  # type: ignore[attr-defined]
    async for _chunk in stream:
        pass


async def test_the_list_shows_name_date_and_size(signed_in: Any) -> None:
    client = await signed_in()
    assert "You have not uploaded any files yet." in await page(client)
    file_id = await uploaded(client, "W-2 Núñez ✓.pdf")
    html = await page(client)
    row = await UploadedFile.get(id=file_id)
    date = row.uploaded_at.strftime("%b %-d, %Y")
    assert re.search(
        rf'href="/portal/files/{file_id}" download><bdi>W-2 Núñez ✓\.pdf</bdi></a>\s*'
        rf'<span class="file-meta"><time datetime="[^"]+">{date}</time> · {len(PDF)} B</span>',
        html,
    ), html
    assert f'href="/portal/files/{file_id}/remove"' in html
    assert "Your preparer has opened this file" not in html


async def test_download_is_streamed_with_safe_headers(signed_in: Any) -> None:
    client = await signed_in()
    # name as given -> (the ASCII fallback, the UTF-8 name) the browser is told
    names = {
        "../../etc/passwd.pdf": ("_.._etc_passwd.pdf", "_.._etc_passwd.pdf"),
        'say "hi"; x=evil.exe.pdf': ("say _hi__ x=evil.exe.pdf", 'say "hi"; x=evil.exe.pdf'),
        "recibo 🧾 año.pdf": ("recibo _ a_o.pdf", "recibo 🧾 año.pdf"),
        "é" * 251 + ".pdf": ("_" * 98 + ".pdf", "é" * 98 + ".pdf"),  # 200 bytes, as zipped
    }
    for index, (name, (fallback, utf8)) in enumerate(names.items()):
        file_id = await uploaded(client, name, PDF + bytes([index]))
        response = await client.get(f"/portal/files/{file_id}")
        assert response.status == 200
        assert await response.read() == PDF + bytes([index])
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Length"] == str(len(PDF) + 1)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        given, encoded = re.fullmatch(
            r'attachment; filename="([^"]*)"; filename\*=UTF-8\'\'([A-Za-z0-9%._~-]+)',
            response.headers["Content-Disposition"],
        ).groups()  # type: ignore[union-attr]
        assert (given, unquote(encoded)) == (fallback, utf8)


async def test_remove_a_file_from_the_list(signed_in: Any) -> None:
    client = await signed_in()
    keep = await uploaded(client, "keep.pdf", PDF + b"k")
    gone = await uploaded(client, "gone.pdf", PDF + b"g")
    assert len(stored_files(client)) == 2
    confirm = await page(client, f"/portal/files/{gone}/remove")  # without JavaScript
    assert "Remove this file?" in confirm and "gone.pdf" in confirm
    token = await form_token(client, f"/portal/files/{gone}/remove")
    response = await client.post(
        f"/portal/files/{gone}/remove", data={"csrf_token": token}, allow_redirects=False
    )
    assert response.status == 303 and response.headers["Location"] == "/portal/files"
    html = await page(client)
    assert "Removed." in html and listed_names(html) == ["keep.pdf"]
    assert len(stored_files(client)) == 1
    # From the upload window: JSON back.
    response = await client.post(
        f"/portal/files/{keep}/remove",
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )
    assert response.status == 200 and (await response.json())["status"] == "removed"
    assert listed_names(await page(client)) == [] and stored_files(client) == []


async def test_remove_needs_the_csrf_token(signed_in: Any) -> None:
    client = await signed_in()
    file_id = await uploaded(client, "W-2.pdf")
    response = await client.post(f"/portal/files/{file_id}/remove", data={"csrf_token": "x"})
    assert response.status == 403
    assert listed_names(await page(client)) == ["W-2.pdf"]


async def test_no_removing_once_the_preparer_opened_it(signed_in: Any) -> None:
    client = await signed_in()
    file_id = await uploaded(client, "W-2.pdf")
    await preparer_opens(client, file_id)
    html = await page(client)
    assert "Your preparer has opened this file" in html
    assert f"/portal/files/{file_id}/remove" not in html
    token = await form_token(client, "/portal/files")
    response = await client.post(
        f"/portal/files/{file_id}/remove",
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )
    assert response.status == 409
    assert (await response.json())["message"] == (
        "Your preparer has already opened this file, so it cannot be removed."
    )
    response = await client.post(f"/portal/files/{file_id}/remove", data={"csrf_token": token})
    assert "so it cannot be removed." in await response.text()  # the redirect's note
    confirm = await page(client, f"/portal/files/{file_id}/remove")
    assert (
        "so it cannot be removed." in confirm and 'method="post"' not in confirm.split("<main")[1]
    )
    assert listed_names(await page(client)) == ["W-2.pdf"] and len(stored_files(client)) == 1


async def test_another_taxpayer_gets_404(signed_in: Any, aiohttp_client: Any) -> None:
    sherry = await signed_in()
    file_id = await uploaded(sherry, "W-2.pdf")
    ana = await second_taxpayer(sherry, aiohttp_client)
    assert listed_names(await page(ana)) == []
    assert (await ana.get(f"/portal/files/{file_id}")).status == 404
    assert (await ana.get(f"/portal/files/{file_id}/remove")).status == 404
    token = await form_token(ana, "/portal/files")
    response = await ana.post(f"/portal/files/{file_id}/remove", data={"csrf_token": token})
    assert response.status == 404
    response = await ana.post(
        f"/portal/files/{file_id}/remove",
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )
    assert response.status == 404
    assert (await sherry.get(f"/portal/files/{file_id}")).status == 200  # still hers
    assert listed_names(await page(sherry)) == ["W-2.pdf"]
    assert (await sherry.get("/portal/files/999999")).status == 404


async def test_signed_out_goes_to_sign_in(signed_in: Any) -> None:
    client = await signed_in()
    file_id = await uploaded(client, "W-2.pdf")
    assert (await sign_out(client)).status == 303
    for path in ("/portal/files", f"/portal/files/{file_id}", f"/portal/files/{file_id}/remove"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/portal/login", path
    status, _ = await put_file(client, "again.pdf", JPEG, csrf="anything")
    assert status == 403
    assert await UploadedFile.all().count() == 1


async def test_home_counts_the_uploads(signed_in: Any) -> None:
    client = await signed_in()
    assert "0 Files Uploaded" in await page(client, "/portal/")
    await uploaded(client, "one.pdf", PDF + b"1")
    assert "1 File Uploaded" in await page(client, "/portal/")
    second = await uploaded(client, "two.jpg", JPEG)
    assert "2 Files Uploaded" in await page(client, "/portal/")
    token = await form_token(client, "/portal/files")
    await client.post(f"/portal/files/{second}/remove", data={"csrf_token": token})
    assert "1 File Uploaded" in await page(client, "/portal/")


async def test_in_spanish(signed_in: Any) -> None:
    client = await signed_in("es")
    file_id = await uploaded(client, "W-2.pdf", PDF + b"\x00" * 2000)
    html = await page(client)
    assert_spanish_page(
        html,
        english=("Upload Documents", "Your files", "Remove", "Drop files here"),
        spanish=(
            "Mis archivos",
            "Subir documentos",
            "Suelte aquí los archivos para subirlos",
            "Sus archivos",
            "Eliminar",
            "2,4 KB",
        ),
    )
    assert re.search(r"\d+ nov 2026|\d+ [a-z]{3}\.? \d{4}", html)
    status, body = await put_file(client, "otra.pdf", PDF + b"\x00" * 2000)
    assert status == 200 and body["message"] == "Ya subió este archivo como «W-2.pdf»."
    status, body = await put_file(client, "vacío.pdf", b"")
    assert body["message"] == "El archivo está vacío."
    assert_spanish_page(
        await page(client, f"/portal/files/{file_id}/remove"),
        english=("Remove this file?", "Keep this file"),
        spanish=("¿Eliminar este archivo?", "Conservar este archivo", "Su preparador no lo verá."),
    )
    assert "1 archivo subido" in await page(client, "/portal/")
