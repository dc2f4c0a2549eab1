"""The facts asked before signing (issue 11): kept on the return through the console's form,
read back decrypted for the signing flow, and answers compared forgivingly but exactly."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from taxportal.models import TaxReturn
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fact_values import answer_matches, read_agi
from taxportal.services.returns.fields import ReturnFields
from taxportal.services.returns.signing_facts import NoSuchSigner, SigningFacts, facts_for
from tests.support import csrf_from

BORN = dt.date(1961, 7, 23)
SPOUSE_BORN = dt.date(1963, 11, 5)
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).strftime("%m/%d/%Y")


def form(token: str, **values: str) -> dict[str, str]:
    base = {
        "csrf_token": token,
        "tax_year": "2025",
        "last_name": "Evans",
        "first_name": "Angela",
        "ssn": "400-12-3456",
        "primary_email": "angela@example.com",
        "mobile_phone": "(706) 555-0101",
        "spouse_first_name": "Carl",
        "spouse_last_name": "Evans",
    }
    return {**base, **values}


def alert(page: str) -> str:
    found = re.search(r'<p class="notice error" role="alert">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


# -- answers -------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["07/23/1961", "7/23/1961", "1961-07-23", " 1961-7-23 "])
def test_a_date_of_birth_is_recognised_in_the_usual_forms(answer):
    assert answer_matches(BORN, answer)


@pytest.mark.parametrize(
    "answer",
    ["23/07/1961", "07/22/1961", "07/23/1962", "1961-23-07", "07/23/61", "07-23-1961", "", "x"],
)
def test_a_date_of_birth_near_miss_is_refused(answer):
    assert not answer_matches(BORN, answer)


@pytest.mark.parametrize("answer", ["$12,345", "12345", "12,345.00", "$12,345.00", " 12 345 "])
def test_an_agi_is_recognised_in_the_usual_forms(answer):
    assert answer_matches(12345, answer)


@pytest.mark.parametrize(
    "answer", ["12346", "12344", "-12345", "1234", "123450", "12,34", "1e4", "12345.5", ""]
)
def test_an_agi_near_miss_is_refused(answer):
    assert not answer_matches(12345, answer)


def test_negative_agis_and_missing_facts():
    assert answer_matches(-1234, "-1,234") and answer_matches(-1234, "(1,234)")
    assert answer_matches(-1234, "-$1,234.00") and not answer_matches(-1234, "1,234")
    assert answer_matches(0, "0") and answer_matches(0, "$0.00")
    # nothing on file matches nothing, not even an empty answer
    assert not answer_matches(None, "") and not answer_matches(None, "12345")
    assert not answer_matches(12345, "1" * 10_000)


def test_cents_round_to_the_dollar_as_on_the_1040():
    assert read_agi("12,345.49") == 12345 and read_agi("12,345.50") == 12346
    assert read_agi("-0.50") == -1 and read_agi(12345.5) == 12346


# -- the service the signing flow calls -----------------------------------------------------


async def test_the_service_gives_each_signer_their_own_facts_decrypted(staff_client, core_of):
    core = core_of(staff_client)
    fields = ReturnFields(
        tax_year=2025,
        last_name="Evans",
        ssn="400-12-3456",
        primary_email="angela@example.com",
        mobile_phone="7065550101",
        spouse_first_name="Carl",
        spouse_email="Carl@Example.com",
        spouse_mobile_phone="(706) 555-0102",
        birth_date="07/23/1961",
        prior_year_agi="$12,345",
        spouse_birth_date="1963-11-05",
        spouse_prior_year_agi="-2,000.00",
    )
    tax_return, _ = await returns_service.upsert(core, fields, actor="test")
    taxpayer = facts_for(core, tax_return, "taxpayer")
    assert taxpayer == SigningFacts("taxpayer", BORN, 12345, "angela@example.com", "+17065550101")
    spouse = facts_for(core, tax_return, "spouse")
    assert spouse == SigningFacts("spouse", SPOUSE_BORN, -2000, "carl@example.com", "+17065550102")
    assert "1961" not in repr(taxpayer) and "12345" not in repr(taxpayer)
    assert answer_matches(spouse.prior_year_agi, "-$2,000")

    # the same facts again change nothing; an empty fact keeps the one on file
    _, outcome = await returns_service.upsert(core, fields, actor="test")
    assert outcome == "unchanged"
    kept = fields.model_copy(update={"birth_date": "", "prior_year_agi": None})
    _, outcome = await returns_service.upsert(core, kept, actor="test")
    assert outcome == "unchanged"
    moved = fields.model_copy(update={"prior_year_agi": 12346})
    saved, outcome = await returns_service.upsert(core, moved, actor="test")
    assert outcome == "updated" and facts_for(core, saved, "taxpayer").prior_year_agi == 12346

    # a return that no longer names a spouse keeps no spouse facts and has no spouse signer
    single = moved.model_copy(
        update={
            "spouse_first_name": "",
            "spouse_email": "",
            "spouse_mobile_phone": "",
            "spouse_birth_date": "",
            "spouse_prior_year_agi": None,
        }
    )
    saved, outcome = await returns_service.upsert(core, single, actor="test")
    assert outcome == "updated"
    assert saved.spouse_birth_date_encrypted == "" and saved.spouse_prior_year_agi_encrypted == ""
    with pytest.raises(NoSuchSigner):
        facts_for(core, saved, "spouse")
    with pytest.raises(ValueError):
        facts_for(core, saved, "preparer")  # type: ignore[arg-type]


async def test_a_return_without_facts_gives_none(staff_client, core_of):
    core = core_of(staff_client)
    fields = ReturnFields(tax_year=2025, last_name="Bare", ssn="400-12-3457")
    tax_return, _ = await returns_service.upsert(core, fields, actor="test")
    facts = facts_for(core, tax_return, "taxpayer")
    assert facts.birth_date is None and facts.prior_year_agi is None
    assert not answer_matches(facts.birth_date, "")


# -- the console's form ---------------------------------------------------------------------


async def test_the_form_stores_the_facts_and_shows_only_that_they_are_on_file(
    staff_client, core_of
):
    token = await csrf_from(staff_client, "/staff/returns/new")
    values = form(
        token,
        birth_date="07/23/1961",
        prior_year_agi="$71,234.00",
        spouse_birth_date="11/05/1963",
        spouse_prior_year_agi="68,001",
        spouse_email="carl@example.com",
        spouse_mobile_phone="706-555-0102",
    )
    response = await staff_client.post("/staff/returns/new", data=values, allow_redirects=False)
    assert response.status == 303, alert(await response.text())
    stored = await TaxReturn.get(last_name="Evans")
    core = core_of(staff_client)
    assert facts_for(core, stored, "taxpayer").birth_date == BORN
    assert facts_for(core, stored, "taxpayer").prior_year_agi == 71234
    spouse = facts_for(core, stored, "spouse")
    assert (spouse.birth_date, spouse.prior_year_agi) == (SPOUSE_BORN, 68001)
    assert (spouse.email, spouse.phone) == ("carl@example.com", "+17065550102")

    page = await (await staff_client.get(f"/staff/returns/{stored.id}/edit")).text()
    assert page.count("On file. Leave empty to keep it.") == 4
    for secret in ("07/23/1961", "1961-07-23", "71234", "71,234", "11/05/1963", "68,001"):
        assert secret not in page
    assert 'value="carl@example.com"' in page and 'value="+17065550102"' in page

    # saving the edit page as it comes back (facts empty) keeps every fact
    token = await csrf_from(staff_client, f"/staff/returns/{stored.id}/edit")
    edit = form(token, ssn="", spouse_email="carl@example.com")
    response = await staff_client.post(
        f"/staff/returns/{stored.id}/edit", data=edit, allow_redirects=False
    )
    assert response.status == 303
    again = await TaxReturn.get(id=stored.id)
    assert facts_for(core, again, "taxpayer").prior_year_agi == 71234
    assert facts_for(core, again, "spouse").birth_date == SPOUSE_BORN


BAD_INPUTS = [
    ("birth_date", "02/30/1990", "not a real date"),
    ("birth_date", TOMORROW, "must be in the past"),
    ("birth_date", "01/01/1899", "1900 or later"),
    ("birth_date", "abc", "a date is MM/DD/YYYY or YYYY-MM-DD"),
    ("spouse_birth_date", "13/01/1990", "not a real date"),
    ("prior_year_agi", "1e9", "an amount in dollars"),
    ("prior_year_agi", "abc", "an amount in dollars"),
    ("prior_year_agi", "1,000,000,000,000", "out of range"),
    ("spouse_prior_year_agi", "12.345", "an amount in dollars"),
    ("birth_date", "1" * 10_000, "at most 254 characters"),
    ("prior_year_agi", "1" * 10_000, "an amount in dollars"),
]


@pytest.mark.parametrize(("name", "value", "reason"), BAD_INPUTS)
async def test_the_form_refuses_a_bad_fact_with_its_reason_and_never_echoes_it(
    staff_client, name, value, reason
):
    token = await csrf_from(staff_client, "/staff/returns/new")
    response = await staff_client.post(
        "/staff/returns/new", data=form(token, **{name: value}), allow_redirects=False
    )
    page = await response.text()
    assert response.status == 400
    assert f"{name}: " in alert(page) and reason in alert(page)
    assert value not in alert(page) and f'value="{value}"' not in page
    assert await TaxReturn.all().count() == 0


async def test_the_form_refuses_a_nul_byte_in_a_fact(staff_client):
    token = await csrf_from(staff_client, "/staff/returns/new")
    response = await staff_client.post(
        "/staff/returns/new", data=form(token, birth_date="07/23/1961\x00")
    )
    assert response.status == 400
    assert await TaxReturn.all().count() == 0


async def test_spouse_facts_need_a_spouse_name(staff_client):
    token = await csrf_from(staff_client, "/staff/returns/new")
    values = form(token, spouse_first_name="", spouse_last_name="", spouse_birth_date="11/05/1963")
    response = await staff_client.post("/staff/returns/new", data=values)
    assert response.status == 400
    assert "spouse_birth_date: give the spouse's first or last name too" in alert(
        await response.text()
    )
    assert await TaxReturn.all().count() == 0
