"""The console's Import CSV page, end to end through HTTP."""

from __future__ import annotations

import html
import zipfile
from io import BytesIO
from pathlib import Path

from aiohttp import FormData

from taxportal.models import TaxReturn
from tests.csv_import.conftest import HEADER, YEAR, csv_file, error_rows, row, upload
from tests.support import sign_in


async def file_viewer(client) -> str:  # type: ignore[no-untyped-def]
    """The File Viewer's text; an e-mail address may wrap at <wbr>, so it is read without."""
    return (await (await client.get("/staff/")).text()).replace("<wbr>", "")


async def test_a_good_file_with_file_viewer_captions_is_imported(staff_client):
    content = csv_file(
        row("Evans", "400-12-3456", first="Angela", phone="706.555.0101"),
        row("Nguyen", "400123457", first="Amy", state="tx", zip="77001-1234"),
        row("García", "400-12-3458", first="Ángel", email="ANGEL@Example.COM"),
    )
    status, page = await upload(staff_client, content)
    assert status == 200
    assert "returns.csv</strong>: 3 created, 0 updated, 0 unchanged." in page
    assert "Rows not imported" not in page

    viewer = await file_viewer(staff_client)
    assert "3 returns" in viewer
    for shown in ("Angela", "Nguyen", "García", "angel@example.com", "(706) 555-0101", "TX"):
        assert shown in viewer
    assert "***-**-3456" in viewer and "400-12-3456" not in viewer and "400123456" not in viewer


async def test_bad_rows_are_listed_by_line_and_good_rows_still_land(staff_client):
    content = csv_file(
        row("Good", "400-12-0001"),  # line 2
        row("BadSsn", "400-12-345"),  # line 3
        row("BadPhone", "400-12-0003", phone="555-01"),  # line 4
        row("BadEmail", "400-12-0004", email="nobody-at-example.com"),  # line 5
        row("BadState", "400-12-0005", state="ZZ"),  # line 6
        row("", "400-12-0006"),  # line 7: no last name
        row("NoSsn", ""),  # line 8
        row("Fine", "400-12-0008"),  # line 9
    )
    status, page = await upload(staff_client, content)
    assert status == 200
    assert "2 created, 0 updated, 0 unchanged." in page
    assert "6 rows with errors were not imported" in page
    errors = dict(error_rows(page))
    assert sorted(errors) == [3, 4, 5, 6, 7, 8]
    assert errors[3].startswith("SSN: SSN must be 9 digits")
    assert errors[4].startswith("Phone: '555-01' is not a")
    assert errors[5].startswith("Primary E-mail: 'nobody-at-example.com' is not a valid email")
    assert errors[6] == "State: 'ZZ' is not a US state or territory code"
    assert errors[7] == "Last Name: required"
    assert errors[8] == "SSN: required"
    assert "400-12-345" not in page  # an invalid SSN is not repeated either
    viewer = await file_viewer(staff_client)
    assert "Good" in viewer and "Fine" in viewer and "BadPhone" not in viewer


async def test_a_duplicate_ssn_of_the_same_year_keeps_the_first_row_only(staff_client):
    content = csv_file(
        row("First", "400-12-0001"),  # line 2
        row("Other", "400-12-0002"),  # line 3
        row("Second", "400120001"),  # line 4: the same SSN written differently
        row("LastYear", "400-12-0001", year=str(YEAR - 1)),  # line 5: another year is fine
        row("Third", "400-12-0001"),  # line 6
    )
    _, page = await upload(staff_client, content)
    assert "3 created" in page
    assert error_rows(page) == [
        (4, "duplicate of line 2 (same tax year and SSN)"),
        (6, "duplicate of line 2 (same tax year and SSN)"),
    ]
    names = set(await TaxReturn.all().values_list("last_name", flat=True))
    assert names == {"First", "Other", "LastYear"}


async def test_importing_the_same_file_twice_changes_nothing(staff_client):
    content = csv_file(row("Evans", "400-12-0001"), row("Brown", "400-12-0002"))
    await upload(staff_client, content)
    before = await TaxReturn.all().order_by("id").values("id", "updated_at", "primary_email")
    status, page = await upload(staff_client, content)
    assert status == 200
    assert "0 created, 0 updated, 2 unchanged." in page
    after = await TaxReturn.all().order_by("id").values("id", "updated_at", "primary_email")
    assert after == before

    changed = csv_file(
        row("Evans", "400-12-0001", email="new@example.com"), row("Brown", "400-12-0002")
    )
    _, page = await upload(staff_client, changed)
    assert "0 created, 1 updated, 1 unchanged." in page
    assert "new@example.com" in await file_viewer(staff_client)


async def test_columns_the_file_lacks_keep_what_is_on_file(staff_client):
    await upload(staff_client, csv_file(row("Evans", "400-12-0001", email="keep@example.com")))
    narrow = csv_file(f"{YEAR},Evans-Smith,400-12-0001", header="tax_year,last_name,ssn")
    _, page = await upload(staff_client, narrow)
    assert "0 created, 1 updated, 0 unchanged." in page
    saved = await TaxReturn.get(last_name="Evans-Smith")
    assert saved.primary_email == "keep@example.com" and saved.mobile_phone == "+17065550101"


async def test_files_that_are_not_csv_import_nothing(staff_client):
    xlsx = BytesIO()
    with zipfile.ZipFile(xlsx, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    cases = [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "a PDF document"),
        (xlsx.getvalue(), "Excel .xlsx workbook"),
        (bytes(range(256)) * 4, "this is not a CSV file"),
        (b"tax_year,last_name,ssn\r\n2024,Evans,400-12-0001\x00\x01\x02\r\n", "not a CSV file"),
    ]
    for content, reason in cases:
        status, page = await upload(staff_client, content, filename="returns.pdf")
        assert status == 400
        assert "this is not a CSV file" in page and reason in page
        assert "nothing was imported" in page
    assert await TaxReturn.all().count() == 0


async def test_a_wrong_header_or_an_empty_file_is_explained(staff_client):
    cases = [
        (
            csv_file(row("Evans", "400-12-0001"), header=HEADER + ",Fax,Notes"),
            "unknown columns: 'Fax', 'Notes'",
        ),
        (csv_file(f"{YEAR},Evans", header="tax_year,last_name"), "missing required column: SSN"),
        (csv_file("Evans", header="last_name"), "the file has no Year column"),
        (csv_file(header=f"{YEAR},Evans,400-12-0001"), "the first line must be a header"),
        (
            csv_file(row("A", "400-12-0001"), header=HEADER + ",Phone"),
            "the columns 'Phone' and 'Phone' are the same column (Phone)",
        ),
        (b"", "the file is empty"),
        (b"\r\n  \r\n", "the file is empty"),
        (csv_file(), "the file has a header but no rows"),
        (
            csv_file('2024,"Evans,400-12-0001', header="tax_year,last_name,ssn"),
            "line 2: the file is not valid CSV",
        ),
    ]
    for content, reason in cases:
        status, page = await upload(staff_client, content)
        assert status == 400, reason
        assert reason in html.unescape(page)
        assert "nothing was imported" in page
        assert "400-12-0001" not in page
    assert await TaxReturn.all().count() == 0


async def test_a_50_mb_file_is_refused_without_importing_anything(staff_client, tmp_path: Path):
    big = tmp_path / "big.csv"
    with big.open("w") as handle:
        handle.write(HEADER + "\n")
        line = row("Evans", "400-12-0001") + "\n"
        handle.write(line * (50 * 1024 * 1024 // len(line) + 1))
    assert big.stat().st_size > 50 * 1024 * 1024
    with big.open("rb") as stream:  # streamed from disk, never held in memory by the test
        status, page = await upload(staff_client, stream, filename="big.csv")
    assert status == 413
    assert "the file is larger than 10 MB" in page and "nothing was imported" in page
    assert await TaxReturn.all().count() == 0
    # The server is still there for the next request.
    assert (await staff_client.get("/staff/import")).status == 200


async def test_line_numbers_count_physical_lines_and_text_is_escaped(staff_client):
    content = (
        "tax_year,last_name,address,ssn,primary_email\r\n"
        f'{YEAR},Evans,"11 S Broad St\r\nApt 2",400-12-0001,\r\n'  # lines 2-3
        "\r\n"  # line 4: blank, skipped
        f"{YEAR},Bold,x,400-12-0002,,extra\r\n"  # line 5
        f"{YEAR},Smith,1 Main St,400-12-0003,,\r\n"  # line 6: a trailing empty cell is fine
        f"{YEAR},Script,x,400-12-0004,<script>alert(1)</script>\r\n"  # line 7
    ).encode()
    _, page = await upload(staff_client, content)
    assert "2 created" in page
    assert error_rows(page)[0] == (5, "6 values but the header has 5 columns")
    assert error_rows(page)[1][0] == 7
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    saved = await TaxReturn.get(last_name="Evans")
    assert saved.address == "11 S Broad St\r\nApt 2"


async def test_encodings_excel_writes_are_read(staff_client):
    header = "tax_year;last_name;first_name;ssn\r\n"
    cp1252 = (header + f"{YEAR};García;Ángel;400-12-0001\r\n").encode("cp1252")
    utf8_bom = (header + f"{YEAR};Muñoz;José;400-12-0002\r\n").encode("utf-8-sig")
    utf16 = (header.replace(";", "\t") + f"{YEAR}\tPeña\tZoë\t400-12-0003\r\n").encode("utf-16")
    for content in (cp1252, utf8_bom, utf16):
        status, page = await upload(staff_client, content)
        assert status == 200 and "1 created" in page, page
    names = set(await TaxReturn.all().values_list("last_name", flat=True))
    assert names == {"García", "Muñoz", "Peña"}


async def test_the_page_needs_a_signed_in_user_and_a_csrf_token(staff_client, client_for):
    anonymous = await client_for(staff_client.app)
    response = await anonymous.get("/staff/import", allow_redirects=False)
    assert response.status == 303

    content = csv_file(row("Evans", "400-12-0001"))
    form = FormData()
    form.add_field("file", content, filename="returns.csv", content_type="text/csv")
    forged = await staff_client.post("/staff/import", data=form)
    assert forged.status == 403
    assert await TaxReturn.all().count() == 0

    page = await (await staff_client.get("/staff/import")).text()
    assert 'enctype="multipart/form-data"' in page
    assert 'action="/staff/import?csrf_token=' in page

    # A preparer (not only an admin) may import.
    from taxportal.services.accounts import staff as staff_service
    from taxportal.web.keys import CORE

    await staff_service.add_staff(
        staff_client.app[CORE], "prep@firm.example.com", "a long enough password", "preparer"
    )
    preparer = await client_for(staff_client.app)
    await sign_in(preparer, "prep@firm.example.com", "a long enough password")
    status, page = await upload(preparer, content)
    assert status == 200 and "1 created" in page


async def test_column_names_ignore_case_spaces_underscores_and_hyphens(staff_client):
    header = "TAX-YEAR,last name,S_S_N,Zip-Code,e-file status,Email Sent,,Mobile Phone"
    content = csv_file(
        f"{YEAR},Evans,400-12-0001,30809,Accepted,Sent,,706 555 0101",  # line 2
        f"{YEAR},Brown,400-12-0002,30809,,Not Sent,a note,",  # line 3
        header=header,
    )
    status, page = await upload(staff_client, content)
    assert status == 200 and "1 created" in page
    assert error_rows(page) == [(3, "a value in column 7, which has no name in the header")]
    saved = await TaxReturn.get(last_name="Evans")
    assert (saved.zip_code, saved.efile_status, saved.mobile_phone) == (
        "30809",
        "Accepted",
        "+17065550101",
    )


async def test_a_big_import_leaves_the_client_list_ready(staff_client):
    """1,000 new rows: the import refreshes the planner statistics (VACUUM ANALYZE on
    PostgreSQL, outside any transaction) and the list shows the new year at once."""
    rows = [
        row(f"Big{n:04d}", f"5{n // 100:02d}-{10 + n % 90:02d}-{1000 + n:04d}") for n in range(1000)
    ]
    status, page = await upload(staff_client, csv_file(*rows))
    assert status == 200 and "1000 created, 0 updated" in page, page[:2000]
    listed = await staff_client.get("/staff/?q=big0999")
    text = await listed.text()
    assert "Big0999" in text and "1 return matching" in text
    assert f'<option value="{YEAR}"' in (await (await staff_client.get("/staff/")).text())
