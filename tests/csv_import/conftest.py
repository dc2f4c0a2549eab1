"""Uploading CSV files through the console page, and sample rows."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import IO

from aiohttp import FormData
from aiohttp.test_utils import TestClient

from tests.support import csrf_from

YEAR = dt.date.today().year - 1
HEADER = "Year,Return Type,E-File,First Name,Last Name,SSN,Primary E-mail,Phone,Zip Code,State"


def row(last: str, ssn: str, **cells: str) -> str:
    values = {
        "year": str(YEAR),
        "type": "1040",
        "efile": "Accepted",
        "first": "Pat",
        "email": f"{last.lower()}@example.com",
        "phone": "(706) 555-0101",
        "zip": "30809",
        "state": "GA",
    }
    values.update(cells)
    return ",".join(
        [
            values["year"],
            values["type"],
            values["efile"],
            values["first"],
            last,
            ssn,
            values["email"],
            values["phone"],
            values["zip"],
            values["state"],
        ]
    )


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


async def upload(
    client: TestClient,
    content: bytes | IO[bytes],
    filename: str = "returns.csv",
    tax_year: str | None = None,
) -> tuple[int, str]:
    """Post the file with the import form, as a browser does; (status, page text)."""
    csrf = await csrf_from(client, "/staff/import")
    form = FormData()
    if tax_year is not None:  # the form's order: the tax year field, then the file
        form.add_field("tax_year", tax_year)
    form.add_field("file", content, filename=filename, content_type="text/csv")
    response = await client.post(f"/staff/import?csrf_token={csrf}", data=form)
    return response.status, await response.text()


def error_rows(page: str) -> list[tuple[int, str]]:
    """(line, reason) of each row in the page's error table."""
    found = re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td></tr>", page)
    return [(int(line), html.unescape(reason)) for line, reason in found]


def page_error(page: str) -> str:
    """The text of the page's error notice (the whole file refused), or ""."""
    found = re.search(r'<p class="notice error" role="alert">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""
