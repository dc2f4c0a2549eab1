"""The REST API writes the facts asked before signing (issue 11) and reads back only whether
each is on file; bad values are 422s naming the field, never echoed, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest

from taxportal.models import TaxReturn
from taxportal.services.returns.signing_facts import facts_for
from tests.api.conftest import Api, a_return

FACTS = {
    "birth_date": "04/17/1958",
    "prior_year_agi": "$7,654,321.00",
    "spouse_birth_date": "1957-12-29",
    "spouse_prior_year_agi": -8765432,
    "spouse_email": "Carl@Example.com",
    "spouse_mobile_phone": "(706) 555-0102",
}
# each as it was sent or could be written back (not bare years: a timestamp may hold them)
SECRETS = ("04/17/1958", "1958-04-17", "7654321", "7,654,321", "1957-12-29", "8765432")
ON_FILE = ("birth_date", "prior_year_agi", "spouse_birth_date", "spouse_prior_year_agi")
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


async def test_the_api_stores_the_facts_and_reads_back_only_that_they_are_on_file(
    api: Api, core_of
):
    status, body, text = await api.call("POST", "/api/v1/returns", a_return(**FACTS))
    assert status == 201, text
    created = body["return"]
    assert {f"{name}_on_file" for name in ON_FILE} <= set(created)
    assert all(created[f"{name}_on_file"] is True for name in ON_FILE)
    assert created["spouse_email"] == "carl@example.com"
    assert created["spouse_mobile_phone"] == "+17065550102"
    for name in ON_FILE:
        assert name not in created
    stored = await TaxReturn.get(id=created["id"])
    core = core_of(api.client)
    taxpayer, spouse = facts_for(core, stored, "taxpayer"), facts_for(core, stored, "spouse")
    assert (taxpayer.birth_date, taxpayer.prior_year_agi) == (dt.date(1958, 4, 17), 7654321)
    assert (spouse.birth_date, spouse.prior_year_agi) == (dt.date(1957, 12, 29), -8765432)

    texts = [text]
    for path in (f"/api/v1/returns/{created['id']}", "/api/v1/returns?q=evans"):
        texts.append((await api.call("GET", path))[2])
    # the spouse's contact finds the return, as the taxpayer's does
    for words in ("carl@example.com", "7065550102"):
        _, found, _ = await api.call("GET", f"/api/v1/returns?q={words}")
        assert [item["id"] for item in found["items"]] == [created["id"]]
    # the same return sent again is unchanged; a PUT without facts keeps them on file
    status, again, text = await api.call("POST", "/api/v1/returns", a_return(**FACTS))
    assert again["outcome"] == "unchanged"
    texts.append(text)
    status, put, text = await api.call("PUT", f"/api/v1/returns/{created['id']}", a_return())
    assert status == 200 and put["birth_date_on_file"] and put["prior_year_agi_on_file"]
    assert put["spouse_email"] == ""  # a plain field: replaced like the others
    texts.append(text)
    for text in texts:
        assert not [secret for secret in SECRETS if secret in text]


@pytest.mark.parametrize(("sent", "kept"), [(12345, 12345), (12345.67, 12346), (-0.5, -1)])
async def test_an_agi_may_be_a_json_number(api: Api, core_of, sent, kept):
    status, body, _ = await api.call("POST", "/api/v1/returns", a_return(prior_year_agi=sent))
    assert status == 201 and body["return"]["prior_year_agi_on_file"]
    stored = await TaxReturn.get(id=body["return"]["id"])
    assert facts_for(core_of(api.client), stored, "taxpayer").prior_year_agi == kept


async def test_a_return_without_facts_says_none_is_on_file(api: Api):
    _, body, _ = await api.call("POST", "/api/v1/returns", a_return())
    assert not any(body["return"][f"{name}_on_file"] for name in ON_FILE)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("birth_date", "02/30/1990", "not a real date"),
        ("birth_date", TOMORROW, "must be in the past"),
        ("birth_date", "abc", "a date is MM/DD/YYYY or YYYY-MM-DD"),
        ("birth_date", "1" * 10_000, "at most 254 characters"),
        ("birth_date", 19900101, "valid string"),
        ("prior_year_agi", "1e9", "an amount in dollars"),
        ("prior_year_agi", "1" * 10_000, "an amount in dollars"),
        ("prior_year_agi", 10**30, "out of range"),
        ("prior_year_agi", 1e300, "out of range"),
        ("prior_year_agi", True, "an amount in dollars"),
        ("prior_year_agi", [12345], "an amount in dollars"),
        ("spouse_prior_year_agi", "abc", "an amount in dollars"),
        ("spouse_email", "carl at example", "is not a valid email address"),
        ("spouse_mobile_phone", "555-01", "is not a"),
    ],
)
async def test_bad_facts_are_422_naming_the_field(api: Api, field, value, reason):
    status, body, text = await api.call("POST", "/api/v1/returns", a_return(**{field: value}))
    assert status == 422, text
    assert reason in body["fields"][field]
    if isinstance(value, str) and field.endswith(("date", "agi")):
        assert value not in text
    assert await TaxReturn.all().count() == 0


async def test_a_nul_byte_in_a_fact_is_refused(api: Api):
    status, body, _ = await api.call("POST", "/api/v1/returns", a_return(birth_date="1958\x00"))
    assert status == 422 and "birth_date" in body["fields"]
    assert await TaxReturn.all().count() == 0


async def test_spouse_facts_without_a_spouse_are_refused(api: Api):
    single = a_return(spouse_first_name="", spouse_last_name="", spouse_ssn="")
    status, body, _ = await api.call(
        "POST", "/api/v1/returns", {**single, "spouse_prior_year_agi": 5, "spouse_email": "c@x.io"}
    )
    assert status == 422
    assert set(body["fields"]) == {"spouse_prior_year_agi", "spouse_email"}
    assert "give the spouse's first or last name too" in body["fields"]["spouse_email"]
