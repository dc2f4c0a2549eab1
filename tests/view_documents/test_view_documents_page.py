"""View Documents in the console: the list with new files marked, downloads, review, the badge."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

from taxportal.models import ActivityEntry, Portal, StaffUser, UploadedFile
from taxportal.services.documents.access import Principal
from taxportal.services.uploads import intake as uploads
from tests.support import ADMIN_EMAIL, csrf_from
from tests.view_documents.conftest import JPEG, PDF, PNG, pdf_of

HOSTILE = '../../etc/"passwd" <b>x</b>.pdf'
LONG = "W-2 " + "ñ" * 246 + ".pdf"  # 255 characters, 500 bytes of UTF-8


async def test_the_list_shows_files_escaped_with_new_ones_marked(staff_client, core_of, seed):
    client = await seed()
    core = core_of(staff_client)
    first = await client.upload(core, "W-2 2025.pdf", PDF)
    second = await client.upload(core, HOSTILE, JPEG)
    await uploads.mark_reviewed(Principal("staff", 1), client.portal.id, [first])

    response = await staff_client.get(client.page)
    html = await response.text()

    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "W-2 2025.pdf" in html
    assert re.search(rf'<tr id="file-{second}" class="is-new">', html)
    assert re.search(rf'<tr id="file-{first}">', html)
    assert html.count(">New</span>") == 1
    assert "1 new" in html and "JPEG" in html and "PDF" in html
    assert "6789" not in html  # no SSN, not even its last four, on this page


async def test_download_one_streams_the_bytes_with_safe_headers(staff_client, core_of, seed):
    client = await seed()
    core = core_of(staff_client)
    for name, data in ((HOSTILE, PDF), (LONG, PNG)):
        file_id = await client.upload(core, name, data)

        response = await staff_client.get(f"{client.page}/{file_id}")

        assert response.status == 200
        assert await response.read() == data
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Length"] == str(len(data))
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment; ")
        fallback, encoded = re.fullmatch(
            r"attachment; filename=\"([ -~]*)\"; filename\*=UTF-8''([A-Za-z0-9%._~-]+)",
            disposition,
        ).groups()
        assert '"' not in fallback and "/" not in fallback and "\\" not in fallback
        shown = unquote(encoded)
        assert "/" not in shown and len(shown.encode()) <= 200
        # the PNG named .pdf goes out as .png (cut to 200 bytes before its extension)
        assert shown.endswith(".pdf" if data == PDF else ".png")
        assert shown.startswith(("_.._etc_", "W-2 ñ"))
    row = await UploadedFile.get(id=file_id)
    assert row.opened_by_preparer_at is not None  # from now on the taxpayer cannot remove it


async def test_the_staff_download_is_in_the_activity_log(staff_client, core_of, seed):
    client = await seed()
    file_id = await client.upload(core_of(staff_client), "1099.pdf", PDF)
    staff = await StaffUser.get(email=ADMIN_EMAIL)

    response = await staff_client.get(f"{client.page}/{file_id}")
    await response.read()

    entry = await ActivityEntry.filter(action="file_download").order_by("-id").first()
    assert entry is not None
    assert (entry.actor, entry.subject, entry.address) == (
        f"staff:{staff.id}",
        f"portal:{client.portal.id}",
        "127.0.0.1",
    )
    assert entry.detail["file_id"] == file_id and entry.at is not None


async def test_another_clients_file_or_an_unknown_return_is_404(staff_client, core_of, seed):
    mine, other = await seed(), await seed("Bruno", "Canales")
    other_file = await other.upload(core_of(staff_client), "theirs.pdf", PDF)

    for path in (
        f"{mine.page}/{other_file}",
        f"{mine.page}/99999999",
        f"{mine.page}/99999999999999",
        "/staff/returns/424242/uploads",
        "/staff/returns/424242/uploads/all.zip",
    ):
        response = await staff_client.get(path)
        assert response.status == 404, path


async def test_signed_out_requests_go_to_the_sign_in(client_for, staff_client, core_of, seed):
    client = await seed()
    file_id = await client.upload(core_of(staff_client), "w2.pdf", PDF)
    stranger = await client_for(staff_client.app)

    for path in (client.page, f"{client.page}/{file_id}", f"{client.page}/all.zip"):
        response = await stranger.get(path, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"].startswith("/staff/login?next=")
    response = await stranger.post(f"{client.page}/reviewed", data={"scope": "all"})
    assert response.status == 403  # no CSRF token without a session
    assert await UploadedFile.filter(reviewed_at__isnull=False).count() == 0


async def test_zip_of_all_files_has_every_byte_unique_safe_names(staff_client, core_of, seed):
    client = await seed()
    core = core_of(staff_client)
    files = {
        "W-2.pdf": PDF,
        "w-2.pdf": pdf_of(5000),  # the same name but for letter case
        HOSTILE: JPEG,
        "..": PNG,
        LONG: pdf_of(7000),
    }
    for name, data in files.items():
        await client.upload(core, name, data)
    await client.upload(core, "W-2.pdf", pdf_of(3000))  # the same name again, other bytes

    response = await staff_client.get(f"{client.page}/all.zip")
    body = await response.read()

    assert response.status == 200
    assert response.content_type == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="Evans Angela')
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == 6 == len({n.casefold() for n in names})
    for name in names:
        assert "/" not in name and "\\" not in name and name not in (".", "..")
        assert not Path(name).is_absolute() and len(name.encode()) <= 200
    by_hash = {hashlib.sha256(archive.read(n)).hexdigest() for n in names}
    rows = await UploadedFile.filter(portal_id=client.portal.id)
    assert by_hash == {r.sha256 for r in rows}
    assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
    # every name ends with the extension of the type judged from the bytes
    assert "_.._etc__passwd_ _b_x__b_.pdf.jpg" in names and "file.png" in names


async def test_zip_streams_in_chunks_without_holding_the_files(staff_client, core_of, seed):
    import tracemalloc

    client = await seed()
    core = core_of(staff_client)
    files = [pdf_of(2 * 1024 * 1024 + i) for i in range(4)]  # 8 MB in all
    for number, data in enumerate(files):
        await client.upload(core, f"scan {number}.pdf", data)

    tracemalloc.start()
    try:
        response = await staff_client.get(f"{client.page}/all.zip")
        assert response.headers.get("Transfer-Encoding") == "chunked"
        assert "Content-Length" not in response.headers
        pieces, out = 0, io.BytesIO()
        async for piece in response.content.iter_chunked(64 * 1024):
            pieces += 1
            out.write(piece)
            if pieces == 1:
                tracemalloc.reset_peak()  # from here on only the streaming counts
        size = out.tell()
        out_size_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert pieces > 10
    # the client keeps the whole zip (8 MB) in `out`; the server must add little to that
    assert out_size_peak < size + 3 * 1024 * 1024, (out_size_peak, size)
    archive = zipfile.ZipFile(out)
    assert [archive.read(f"scan {n}.pdf") for n in range(4)] == files


async def test_mark_reviewed_clears_the_marks_and_the_client_list_badge(
    staff_client, core_of, seed
):
    client = await seed()
    core = core_of(staff_client)
    ids = [await client.upload(core, f"page {n}.jpg", JPEG + bytes([n])) for n in range(3)]

    listing = await (await staff_client.get("/staff/")).text()
    badge = f'href="{client.page}" aria-label="View Documents: 3 new">3 new</a>'
    assert f'<a class="badge-new" {badge}' in listing
    portals_page = await (await staff_client.get("/staff/portals")).text()
    assert "3 new</a>" in portals_page

    token = await csrf_from(staff_client, client.page)
    response = await staff_client.post(
        f"{client.page}/reviewed",
        data={"csrf_token": token, "scope": "selected", "file": [str(ids[0])]},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == f"{client.page}?done=reviewed&count=1"
    assert "2 new</a>" in await (await staff_client.get("/staff/")).text()

    response = await staff_client.post(
        f"{client.page}/reviewed", data={"csrf_token": token, "scope": "all"}
    )
    page = await response.text()
    assert "2 files marked as reviewed." in page
    assert ">New</span>" not in page
    listing = await (await staff_client.get("/staff/")).text()
    assert "badge-new" not in listing
    assert f'<a href="{client.page}">View Documents</a>' in listing
    assert await UploadedFile.filter(reviewed_at__isnull=True).count() == 0
    reviewed = await ActivityEntry.filter(action="file_review").count()
    assert reviewed == 3


async def test_removed_files_and_other_clients_do_not_count_in_the_badge(
    staff_client, core_of, seed
):
    client, other = await seed(), await seed("Bruno", "Canales")
    core = core_of(staff_client)
    kept = await client.upload(core, "kept.pdf", PDF)
    gone = await client.upload(core, "gone.pdf", pdf_of(800))
    await uploads.remove(core, client.taxpayer, client.portal.id, gone)
    await other.upload(core, "theirs.pdf", pdf_of(900))
    await other.upload(core, "theirs too.pdf", pdf_of(901))

    listing = await (await staff_client.get("/staff/")).text()

    assert f'href="{client.page}" aria-label="View Documents: 1 new">1 new</a>' in listing
    assert f'href="{other.page}" aria-label="View Documents: 2 new">2 new</a>' in listing
    page = await (await staff_client.get(client.page)).text()
    assert "kept.pdf" in page and "gone.pdf" not in page and f"file-{kept}" in page


async def test_bytes_missing_from_the_storage_give_an_error_page(staff_client, core_of, seed):
    client = await seed()
    core = core_of(staff_client)
    file_id = await client.upload(core, "w2.pdf", PDF)
    row = await UploadedFile.get(id=file_id)
    for path in (Path(core.config.data_dir) / "files").rglob("*"):
        if path.is_file() and row.storage_key.rsplit("/", 1)[1] in path.name:
            path.unlink()  # the disk lost it: not something the preparer did

    for url in (f"{client.page}/{file_id}", f"{client.page}/all.zip"):
        response = await staff_client.get(url)
        assert response.status == 503, url  # storage unavailable, before any header went out
        assert response.content_type == "text/html"
        assert "Content-Disposition" not in response.headers


async def test_a_client_without_a_portal_and_the_links_to_the_page(staff_client, seed):
    client = await seed()
    await Portal.filter(id=client.portal.id).delete()

    page = await (await staff_client.get(client.page)).text()
    assert "This client has no portal yet" in page and "Download all" not in page
    response = await staff_client.get(f"{client.page}/all.zip", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, client.page)
    edit = await (await staff_client.get(f"/staff/returns/{client.tax_return.id}/edit")).text()
    assert f'<a href="{client.page}">View Documents</a>' in edit


async def test_words_in_the_query_never_reach_the_page(staff_client, seed):
    client = await seed()
    page = await (await staff_client.get(f"{client.page}?done=reviewed&count=Call+555")).text()
    assert "Call 555" not in page and "marked as reviewed" not in page
