"""View Documents in a real browser: the preparer sees a client's "2 new" badge in the File
Viewer, opens View Documents, downloads one file and the zip of all, marks them reviewed,
and the badge is gone."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import sys
import zipfile
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Account, Client, PortalServer
from tests.browser.ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# Seeded by this test (not in harness.CLIENTS): a client who has uploaded two files.
UPLOADER = Client(
    "Valeria", "Vistas", "400-12-3480", "valeria@example.com", "(706) 555-0180", "12 Elm St"
)
W2 = b"%PDF-1.7\n" + os.urandom(300_000)
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(120_000)
FILES = {"W-2 Acme.pdf": W2, '1099 "bank" photo.jpg': PHOTO}


def seed_uploads(server: PortalServer, client: Client, files: dict[str, bytes]) -> int:
    spec = {
        "return": client.fields(),
        "files": [[name, base64.b64encode(data).decode()] for name, data in files.items()],
    }
    script = Path(__file__).with_name("seed_uploads.py")
    return int(server._run([sys.executable, str(script)], None, json.dumps(spec)))


async def test_preparer_downloads_new_uploads_and_marks_them_reviewed(
    desktop: Page, portal_server: PortalServer, preparer: Account
) -> None:
    page = desktop
    return_id = seed_uploads(portal_server, UPLOADER, FILES)
    await sign_in(page, preparer)
    await page.goto(f"/staff/?q={UPLOADER.last_name}")
    row = page.get_by_role("row").filter(has_text=UPLOADER.primary_email)  # File Viewer
    badge = row.get_by_role("link", name="View Documents: 2 new")
    await expect(badge).to_have_text("2 new")

    await badge.click()
    await expect(page).to_have_url(re.compile(rf"/staff/returns/{return_id}/uploads$"))
    await expect(page.get_by_role("heading", name="View Documents")).to_be_visible()
    table = page.get_by_role("table", name=f"Files uploaded by {UPLOADER.name}")
    await expect(table.get_by_role("row")).to_have_count(3)  # the header and two files
    await expect(table.get_by_text("New", exact=True)).to_have_count(2)

    async with page.expect_download() as one:
        await table.get_by_role("link", name="W-2 Acme.pdf").click()
    download = await one.value
    assert download.suggested_filename == "W-2 Acme.pdf"
    assert Path(await download.path()).read_bytes() == W2

    async with page.expect_download() as everything:
        await page.get_by_role("link", name="Download all (zip)").click()
    archive = await everything.value
    assert archive.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(Path(await archive.path()).read_bytes())) as opened:
        assert sorted(opened.namelist()) == ["1099 _bank_ photo.jpg", "W-2 Acme.pdf"]
        assert opened.read("W-2 Acme.pdf") == W2
        assert opened.read("1099 _bank_ photo.jpg") == PHOTO

    await page.get_by_role("button", name="Mark all as reviewed").click()
    await expect(page.get_by_role("status")).to_have_text("2 files marked as reviewed.")
    await expect(table.get_by_text("New", exact=True)).to_have_count(0)

    await page.get_by_role("link", name="File Viewer").click()
    await page.goto(f"/staff/?q={UPLOADER.last_name}")
    row = page.get_by_role("row").filter(has_text=UPLOADER.primary_email)  # File Viewer
    await expect(row.get_by_role("link", name="View Documents", exact=True)).to_be_visible()
    await expect(row.get_by_text("new")).to_have_count(0)
