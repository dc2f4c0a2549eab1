"""Fixtures for "My Files": a signed-in taxpayer on a fresh app, and the HTTP steps a
browser takes (the upload window's PUT, the plain form's multipart POST)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import CookieJar, FormData
from aiohttp.test_utils import TestClient

from tests.accounts.journey import (
    code_in,
    enter_code,
    form_token,
    invited,
    newest_sms_text,
    register,
    registered_and_verified,
    send_code,
)

PDF = b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 20 + b"%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 300
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500


@pytest.fixture
def signed_in(build_app: Any, client_for: Any):  # type: ignore[no-untyped-def]
    """`await signed_in(language="en", **env)`: a client of a fresh app, Sherry signed in."""

    async def make(language: str = "en", **env: str) -> TestClient:
        client = await client_for(await build_app(**env))
        await registered_and_verified(client, language)
        return client

    return make


async def second_taxpayer(client: TestClient, aiohttp_client: Any) -> TestClient:
    """Another taxpayer (Ana, her own return and portal) on the same server, own cookies."""
    other = await aiohttp_client(client.server, cookie_jar=CookieJar(unsafe=True))
    link = await invited(
        other,
        first_name="Ana",
        last_name="Bell",
        ssn="400-12-3498",
        primary_email="ana@example.com",
        mobile_phone="(706) 555-0198",
    )
    fields = {"username": "ana", "email": "ana@example.com", "last_name": "bell"}
    assert (await register(other, link, ssn_last4="3498", **fields)).status == 303
    assert (await send_code(other)).status == 303
    assert (await enter_code(other, code_in(newest_sms_text(other)))).status == 303
    return other


async def token(client: TestClient) -> str:
    return await form_token(client, "/portal/files")


async def put_file(
    client: TestClient, name: str, data: bytes, csrf: str | None = None
) -> tuple[int, Any]:
    """What the upload window sends: the raw bytes, the name (percent-encoded UTF-8) and the
    token in headers."""
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/octet-stream",
        "X-File-Name": quote(name, safe=""),
    }
    if csrf is None:
        csrf = await token(client)
    if csrf:
        headers["X-CSRF-Token"] = csrf
    response = await client.put("/portal/files/upload", data=data, headers=headers)
    body = await response.json() if response.content_type == "application/json" else None
    return response.status, body


async def post_form(client: TestClient, files: list[tuple[str, bytes]], csrf: str | None = None):  # type: ignore[no-untyped-def]
    """What the plain form sends without JavaScript: every picked file, plus the empty camera."""
    form = FormData()
    for name, data in files:
        form.add_field("files", data, filename=name, content_type="application/octet-stream")
    form.add_field("files", b"", filename="", content_type="application/octet-stream")
    if csrf is None:
        csrf = await token(client)
    return await client.post(
        "/portal/files/upload", params={"csrf_token": csrf}, data=form, allow_redirects=False
    )


async def page(client: TestClient, path: str = "/portal/files") -> str:
    response = await client.get(path)
    assert response.status == 200, path
    return await response.text()


def listed_names(html: str) -> list[str]:
    link = r'<a class="file-name" href="/portal/files/\d+" download><bdi>(.*?)</bdi></a>'
    return re.findall(link, html)


def stored_files(client: TestClient) -> list[Path]:
    from taxportal.web.keys import CORE

    root = client.app[CORE].config.data_dir / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
