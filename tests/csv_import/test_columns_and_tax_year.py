"""Import messages name the file's own columns, and a tax year can be given for the file."""

from __future__ import annotations

import re

from taxportal.models import TaxReturn
from tests.csv_import.conftest import YEAR, csv_file, error_rows, page_error, upload

# The fields' internal names: a message must use the file's header instead.
INTERNAL = re.compile(
    r"\b(tax_year|return_type|efile_status|first_name|last_name|ssn|primary_email|"
    r"secondary_email|mobile_phone|zip_code|spouse_\w+)\b"
)


async def test_every_message_names_the_files_own_columns(staff_client):
    header = "Tax Year,Surname,Last Name,SSN,E-mail,Cell Phone,Zip"
    refused = [
        (csv_file(header="Year,Last Name,SSN,Email,E-mail"), "'Email' and 'E-mail'"),
        (csv_file(f"{YEAR},Evans", header="Year,Last Name"), "missing required column: SSN"),
        (csv_file(header=header), "unknown column: 'Surname'. Known columns: Year,"),
        (csv_file(f"{YEAR},Evans,400-12-0001", header=f"{YEAR},Evans,x"), "such as Year"),
    ]
    for content, expected in refused:
        status, page = await upload(staff_client, content)
        message = page_error(page)
        assert status == 400 and expected in message, message
        assert not INTERNAL.search(message), message

    header = "Tax Year,Last Name,SSN,E-mail,Cell Phone,Zip"
    content = csv_file(
        f"{YEAR},Evans,400-12-0001,ana@,706,1",  # line 2
        "1999,,400-12-9,,,",  # line 3
        header=header,
    )
    status, page = await upload(staff_client, content)
    assert status == 200
    reasons = dict(error_rows(page))
    assert reasons[2].startswith("E-mail: 'ana@' is not a valid email address"), reasons
    assert "Cell Phone: '706' is not a" in reasons[2] and "Zip: zip code must" in reasons[2]
    assert reasons[3] == "Last Name: required", reasons
    for reason in reasons.values():
        assert not INTERNAL.search(reason), reason


async def test_a_file_without_a_year_column_takes_the_tax_year_field(staff_client):
    header = "Last Name,SSN"
    status, page = await upload(staff_client, csv_file("Evans,400-12-0001", header=header))
    message = page_error(page)
    assert status == 400 and message.startswith("returns.csv: the file has no Year column")
    assert "--tax-year" in message and "Tax year field" in message
    assert await TaxReturn.all().count() == 0

    status, page = await upload(
        staff_client,
        csv_file("Evans,400-12-0001", "Brown,400-12-0002", header=header),
        tax_year="2023",
    )
    assert status == 200 and "2 created" in page, page_error(page)
    assert set(await TaxReturn.all().values_list("tax_year", flat=True)) == {2023}

    # With a Year column, a row's own year wins; the field fills only empty cells.
    content = csv_file(f"{YEAR},Kim,400-12-0003", ",Lee,400-12-0004", header="Year," + header)
    status, page = await upload(staff_client, content, tax_year="2022")
    assert status == 200 and "2 created" in page
    assert (await TaxReturn.get(last_name="Kim")).tax_year == YEAR
    assert (await TaxReturn.get(last_name="Lee")).tax_year == 2022


async def test_a_tax_year_that_is_not_a_year_imports_nothing(staff_client):
    content = csv_file("Evans,400-12-0001", header="Last Name,SSN")
    for value, expected in (
        ("20x5", "The tax year must be a year such as 2025"),
        ("1999", "the tax year given for the file (1999): Input should be greater than"),
        ("999999", "The tax year must be a year"),
    ):
        status, page = await upload(staff_client, content, tax_year=value)
        assert status == 400 and expected in page_error(page), page_error(page)
    assert await TaxReturn.all().count() == 0
