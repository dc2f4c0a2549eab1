"""Identity at signing, through the service and the hook (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging

import pytest

from taxportal.models import ActivityEntry, IdentityCheck
from taxportal.services.documents.access import Principal
from taxportal.services.signing import identity
from tests.accounts import journey
from tests.signing_identity.conftest import PREPARER, Signers, signers_on
from tests.signing_identity.fake_kba import RIGHT_ANSWER, FakeKbaPlugin
from tests.support import jobs_finished

RIGHT = {"c0_birth_date": "3/14/1975", "c0_prior_year_agi": "$52,340"}
MINUTE = dt.timedelta(minutes=1)


def newest_code_to(s: Signers, address: str) -> str:
    message = journey.newest_email(s.client)
    assert message["To"] == address, f"the code went to {message['To']}, not {address}"
    return journey.code_in(message.get_body(("plain",)).get_content())


async def started(s: Signers, role: str = "taxpayer", address: str = "sherry@example.com") -> str:
    await identity.start(s.core, s.principal, role)
    return newest_code_to(s, address)


async def answer(s: Signers, answers: dict[str, str], role: str = "taxpayer") -> identity.Outcome:
    return await identity.answer(s.core, s.principal, role, answers, "127.0.0.1", "pytest")


async def test_each_code_goes_to_the_signers_own_contact(database, app_client):
    s = await signers_on(await app_client())
    await started(s, "taxpayer", "sherry@example.com")
    spouse_code = await started(s, "spouse", "luis@example.com")
    # the taxpayer's code is not the spouse's: each is bound to its role
    outcome = await answer(s, {"c0_code": spouse_code, **RIGHT}, "taxpayer")
    assert not outcome.passed


async def test_a_spouse_with_only_a_phone_gets_a_text(database, app_client):
    s = await signers_on(await app_client(), spouse_email="")
    await identity.start(s.core, s.principal, "spouse")
    texts = sorted(journey.outbox(s.client, "sms").glob("*.json"))
    newest = json.loads(texts[-1].read_text())
    assert newest["to"] == "+17065550143"  # the spouse's mobile, not the taxpayer's 0197


async def test_right_code_and_facts_pass_for_that_signer_only(database, app_client):
    s = await signers_on(await app_client())
    code = await started(s)
    outcome = await answer(s, {"c0_code": code, **RIGHT})
    assert outcome.passed and outcome.method == "code+kba"
    assert await identity.passed_recently(s.portal_id, "taxpayer", MINUTE)
    assert await identity.passed_for_signing(s.core, s.portal_id, "taxpayer")
    assert not await identity.passed_recently(s.portal_id, "spouse", MINUTE)
    assert not await identity.passed_for_signing(s.core, s.portal_id, "spouse")
    code = await started(s, "spouse", "luis@example.com")
    spouse_right = {"c0_code": code, "c0_birth_date": "1977-11-02", "c0_prior_year_agi": "52340"}
    assert (await answer(s, spouse_right, "spouse")).passed
    assert await identity.passed_recently(s.portal_id, "spouse", MINUTE)


@pytest.mark.parametrize("wrong", ["code", "birth_date", "agi"])
async def test_one_wrong_answer_fails_with_tries_left(database, app_client, wrong):
    s = await signers_on(await app_client())
    code = await started(s)
    answers = {"c0_code": code, **RIGHT}
    answers.update(
        {
            "code": {"c0_code": "000000" if code != "000000" else "111111"},
            "birth_date": {"c0_birth_date": "3/15/1975"},
            "agi": {"c0_prior_year_agi": "$52,341"},
        }[wrong]
    )
    outcome = await answer(s, answers)
    assert (outcome.passed, outcome.locked, outcome.attempts_left) == (False, False, 2)
    assert not await identity.passed_recently(s.portal_id, "taxpayer", MINUTE)
    # the challenge is over: the same answers again are not checked, a new code is needed
    again = await answer(s, {"c0_code": code, **RIGHT})
    assert again.expired and not again.passed
    assert (await identity.status(s.core, s.portal_id, "taxpayer")).failures == 1


async def test_no_facts_on_file_the_code_alone(database, app_client):
    s = await signers_on(await app_client(), birth_date="", prior_year_agi="")
    code = await started(s)
    status = await identity.status(s.core, s.portal_id, "taxpayer")
    assert [f.kind for f in status.fields] == ["code"]
    outcome = await answer(s, {"c0_code": code})
    assert outcome.passed and outcome.method == "code"


async def test_ten_wrong_answers_at_once_lock_at_exactly_three(database, app_client):
    s = await signers_on(await app_client())
    await started(s)
    wrong = {"c0_code": "123456", "c0_birth_date": "1/1/1900", "c0_prior_year_agi": "1"}
    outcomes = await asyncio.gather(*(answer(s, wrong) for _ in range(10)))
    assert not any(o.passed for o in outcomes)
    row = await IdentityCheck.get(portal_id=s.portal_id, role="taxpayer")
    assert row.failures == 3 and row.locked_at is not None
    checked = await ActivityEntry.filter(action="signing_identity_checked").count()
    assert checked == 3  # exactly the limit was checked, however many came at once
    with pytest.raises(identity.Locked):
        await identity.start(s.core, s.principal, "taxpayer")
    await jobs_finished(s.core, "signing_identity_locked")
    told = [p for p in journey.outbox(s.client, "email").glob("*.eml") if PREPARER in p.read_text()]
    assert len(told) == 1 and "E-signing stopped" in told[0].read_text()
    # the spouse is another signer: not locked by the taxpayer's failures
    await started(s, "spouse", "luis@example.com")


async def test_another_portals_taxpayer_and_staff_get_not_found(database, app_client):
    s = await signers_on(await app_client())
    stranger = Principal("taxpayer", 999, "127.0.0.1", portal_id=s.portal_id + 1)
    with pytest.raises(identity.NotFound):
        await identity.start(s.core, stranger, "taxpayer", portal_id=s.portal_id)
    with pytest.raises(identity.NotFound):
        await identity.answer(
            s.core, stranger, "taxpayer", {}, "127.0.0.1", "ua", portal_id=s.portal_id
        )
    with pytest.raises(identity.NotFound):
        await identity.start(s.core, Principal("staff", 1, "", None), "taxpayer")


async def test_nothing_secret_in_logs_or_activity(database, app_client, caplog):
    caplog.set_level(logging.DEBUG)
    s = await signers_on(await app_client())
    code = await started(s)
    await answer(s, {"c0_code": "999999" if code != "999999" else "888888", **RIGHT})
    code = await started(s)
    await answer(s, {"c0_code": code, **RIGHT})
    entries = await ActivityEntry.filter(action__startswith="signing_identity").all()
    stored = json.dumps([e.detail for e in entries]) + caplog.text
    for secret in (code, "1975", "52340", "52,340", "03-14", "3/14"):
        assert secret not in stored
    assert {e.detail["result"] for e in entries if "result" in e.detail} == {"passed", "failed"}
    assert [e.detail.get("attempt") for e in entries if "attempt" in e.detail] == [1, 2]


async def test_a_providers_check_is_chained_after_the_code(database, app_client):
    kba = FakeKbaPlugin()
    s = await signers_on(await app_client(kba))
    code = await started(s)
    status = await identity.status(s.core, s.portal_id, "taxpayer")
    assert [f.name for f in status.fields][-1] == "c1_street"
    assert kba.check.asked[0].role == "taxpayer" and kba.check.asked[0].name == "Sherry Núñez"
    # the code and facts right, the provider's answer wrong: not passed
    outcome = await answer(s, {"c0_code": code, **RIGHT, "c1_street": "oak avenue"})
    assert not outcome.passed and outcome.attempts_left == 2
    # the provider right, the code wrong: not passed either
    code = await started(s)
    outcome = await answer(s, {"c0_code": "000000", **RIGHT, "c1_street": RIGHT_ANSWER})
    assert not outcome.passed
    code = await started(s)
    outcome = await answer(s, {"c0_code": code, **RIGHT, "c1_street": RIGHT_ANSWER})
    assert outcome.passed and outcome.method == "code+kba+fake_kba"
    assert await identity.passed_recently(s.portal_id, "taxpayer", MINUTE)


async def test_the_state_stays_on_the_server(database, app_client):
    s = await signers_on(await app_client(FakeKbaPlugin()))
    await started(s)
    row = await IdentityCheck.get(portal_id=s.portal_id, role="taxpayer")
    assert row.state["checks"][1]["state"] == {"session": "s-1"}
    assert row.state["checks"][0]["state"] == {}  # the code's HMAC lives in one_time_code
