"""The CSV import takes the facts asked before signing (issue 11) under the header names tax
programs use, stores them encrypted, and reports a bad one on its line without echoing it."""

from __future__ import annotations

import datetime as dt

from taxportal.models import TaxReturn
from taxportal.services.returns.signing_facts import facts_for
from tests.csv_import.conftest import YEAR, csv_file, error_rows, upload

HEADER = (
    "Year,Last Name,SSN,Spouse First Name,Taxpayer DOB,Prior Year AGI,Spouse DOB,"
    "Spouse Prior Year AGI,Spouse Email,Spouse Mobile"
)
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).strftime("%m/%d/%Y")


def line(last: str, ssn: str, *facts: str) -> str:
    return ",".join([str(YEAR), last, ssn, *facts])


async def test_the_facts_are_imported_under_common_header_names(staff_client, core_of):
    content = csv_file(
        line(
            "Evans",
            "400-12-3456",
            "Carl",
            "04/17/1958",
            '"$7,654,321.00"',
            "1957-12-29",
            "(8765432)",
            "carl@example.com",
            "706-555-0102",
        ),
        line("Single", "400-12-3457", "", "1990-01-31", "0", "", "", "", ""),
        header=HEADER,
    )
    status, page = await upload(staff_client, content)
    assert status == 200 and "2 created, 0 updated, 0 unchanged." in page, page
    core = core_of(staff_client)
    evans = await TaxReturn.get(last_name="Evans")
    taxpayer, spouse = facts_for(core, evans, "taxpayer"), facts_for(core, evans, "spouse")
    assert (taxpayer.birth_date, taxpayer.prior_year_agi) == (dt.date(1958, 4, 17), 7654321)
    assert (spouse.birth_date, spouse.prior_year_agi) == (dt.date(1957, 12, 29), -8765432)
    assert (spouse.email, spouse.phone) == ("carl@example.com", "+17065550102")
    single = facts_for(core, await TaxReturn.get(last_name="Single"), "taxpayer")
    assert (single.birth_date, single.prior_year_agi) == (dt.date(1990, 1, 31), 0)

    # the same file again is unchanged; a file without the facts' columns keeps them
    status, page = await upload(staff_client, content)
    assert "0 created, 0 updated, 2 unchanged." in page
    names_only = csv_file(line("Evans", "400-12-3456"), header="Year,Last Name,SSN")
    status, page = await upload(staff_client, names_only)
    assert "0 created, 0 updated, 1 unchanged." in page
    kept = facts_for(core, await TaxReturn.get(last_name="Evans"), "spouse")
    assert kept.prior_year_agi == -8765432 and kept.email == "carl@example.com"


async def test_other_spellings_of_the_headers(staff_client, core_of):
    header = (
        "Tax Year,Last Name,SSN,Spouse Last Name,Date of Birth,PY AGI,Spouse Date of Birth,"
        "Spouse E-mail,Spouse Phone"
    )
    content = csv_file(
        line("Evans", "400-12-3456", "Evans", "4/17/1958", "12345", "12/29/1957", "c@x.io", ""),
        header=header,
    )
    status, page = await upload(staff_client, content)
    assert status == 200 and "1 created" in page, page
    stored = await TaxReturn.get(last_name="Evans")
    assert facts_for(core_of(staff_client), stored, "spouse").birth_date == dt.date(1957, 12, 29)


async def test_bad_facts_are_reported_on_their_line_and_never_echoed(staff_client):
    empty = ("",) * 6
    content = csv_file(
        line("Good", "400-12-0001", "Carl", "04/17/1958", "100", "", "", "", ""),  # line 2
        line("BadDay", "400-12-0002", "", "02/30/1990", *empty[1:], ""),  # line 3
        line("Future", "400-12-0003", "", TOMORROW, *empty[1:], ""),  # line 4
        line("Letters", "400-12-0004", "", "abc", *empty[1:], ""),  # line 5
        line("Exponent", "400-12-0005", "", "", "1e9", *empty[2:], ""),  # line 6
        line("Long", "400-12-0006", "", "", "9" * 10_000, *empty[2:], ""),  # line 7
        line("NoSpouse", "400-12-0007", "", "", "", "1957-12-29", "", "", ""),  # line 8
        header=HEADER,
    )
    status, page = await upload(staff_client, content)
    assert status == 200
    assert "1 created, 0 updated, 0 unchanged." in page
    errors = dict(error_rows(page))
    assert errors[3] == "Taxpayer DOB: not a real date (check the month and the day: " + (
        "MM/DD/YYYY or YYYY-MM-DD)"
    )
    assert errors[4] == "Taxpayer DOB: a date of birth must be in the past"
    assert errors[5] == "Taxpayer DOB: a date is MM/DD/YYYY or YYYY-MM-DD"
    assert errors[6].startswith("Prior Year AGI: the AGI must be an amount in dollars")
    assert errors[7].startswith("Prior Year AGI: the AGI must be an amount in dollars")
    assert errors[8].startswith("Spouse DOB: give the spouse's first or last name too")
    for secret in ("02/30/1990", TOMORROW, "1e9", "9" * 100, "1957-12-29", "04/17/1958"):
        assert secret not in page
