"""The consent service: decisions, the hash of the text shown, the preparer told, races."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib

import pytest

from taxportal.models import ActivityEntry, IdentityCheck, SigningConsent, TaxReturn
from taxportal.services.documents.access import Principal
from taxportal.services.signing import consent, disclosure
from tests.accounts.journey import outbox
from tests.preparer_documents.conftest import Firm
from tests.signing_consent.conftest import principal_of
from tests.support import ADMIN_EMAIL

UA = "Mozilla/5.0 (test)\x00\u202e"  # control and format characters are dropped


def emails_to(firm: Firm, address: str) -> list[str]:
    folder = outbox(firm.taxpayer, "email")
    return [
        p.read_text() for p in sorted(folder.glob("*.eml")) if f"To: {address}" in p.read_text()
    ]


async def test_accepting_records_the_hash_of_the_text_shown_and_no_longer_requires(
    firm: Firm,
) -> None:
    who = await principal_of(firm)
    assert await consent.required(firm.portal_id, "taxpayer")
    assert await consent.current(firm.portal_id, "taxpayer") is None
    row = await consent.record(firm.core, who, "taxpayer", "accepted", "en", UA)
    tax_year = (await TaxReturn.get(id=firm.return_id)).tax_year
    shown = disclosure.render(firm.core, "en", tax_year)
    assert row.text_sha256 == hashlib.sha256(shown.html.encode()).hexdigest() == shown.sha256
    assert (row.decision, row.language, row.text_version) == ("accepted", "en", "esign-2026.1")
    assert (row.ip, row.user_agent) == ("203.0.113.7", "Mozilla/5.0 (test)")
    assert not await consent.required(firm.portal_id, "taxpayer")
    assert await consent.required(firm.portal_id, "spouse")  # each signer consents alone
    entry = await ActivityEntry.get(action="signing_consent_accepted")
    assert entry.subject == f"portal:{firm.portal_id}" and entry.detail["role"] == "taxpayer"
    assert not emails_to(firm, ADMIN_EMAIL)  # agreeing tells nobody


async def test_the_spanish_text_is_hashed_as_shown_in_spanish(firm: Firm) -> None:
    row = await consent.record(firm.core, await principal_of(firm), "taxpayer", "accepted", "es")
    tax_year = (await TaxReturn.get(id=firm.return_id)).tax_year
    spanish = disclosure.render(firm.core, "es", tax_year)
    english = disclosure.render(firm.core, "en", tax_year)
    assert "Su derecho al papel" in spanish.html and "Formulario 8879" in spanish.html
    assert "Your right to paper" not in spanish.html
    assert row.language == "es" and row.text_sha256 == spanish.sha256 != english.sha256


async def test_the_text_names_the_firm_the_year_paper_and_withdrawal(firm: Firm) -> None:
    tax_year = (await TaxReturn.get(id=firm.return_id)).tax_year
    html = disclosure.render(firm.core, "en", tax_year).html
    firm_name = firm.core.config.core.firm.name
    for words in (
        firm_name,
        f"tax year {tax_year}",
        "Form 8879",
        "right to receive these records on paper",
        "withdraw your consent at any time",
        "paper copy",
        "PDF",
        "web browser",
    ):
        assert words in html, words


async def test_declining_tells_the_preparer_by_email_in_english(firm: Firm) -> None:
    row = await consent.record(firm.core, await principal_of(firm), "taxpayer", "declined", "es")
    assert row.decision == "declined" and await consent.required(firm.portal_id, "taxpayer")
    [mail] = emails_to(firm, ADMIN_EMAIL)
    assert "will sign on paper" in mail and "did not agree to sign electronically" in mail
    assert f"/staff/returns/{firm.return_id}/edit" in mail
    actions = await ActivityEntry.filter(subject=f"portal:{firm.portal_id}").values_list(
        "action", flat=True
    )
    assert {"signing_consent_declined", "signing_consent_preparer_told"} <= set(actions)
    await consent.record(firm.core, await principal_of(firm), "taxpayer", "declined", "en")
    assert len(emails_to(firm, ADMIN_EMAIL)) == 1  # told once that they turned to paper


async def test_withdrawing_an_accepted_consent_once_tells_the_preparer(firm: Firm) -> None:
    who = await principal_of(firm)
    assert await consent.withdraw(firm.core, who, "taxpayer", "en") is None  # nothing to withdraw
    await consent.record(firm.core, who, "taxpayer", "accepted", "en")
    row = await consent.withdraw(firm.core, who, "taxpayer", "en")
    assert row is not None and row.decision == "withdrawn"
    assert await consent.withdraw(firm.core, who, "taxpayer", "en") is None  # once
    assert await consent.required(firm.portal_id, "taxpayer")
    [mail] = emails_to(firm, ADMIN_EMAIL)
    assert "withdrew their consent" in mail
    decisions = await SigningConsent.filter(portal_id=firm.portal_id).order_by("id")
    assert [r.decision for r in decisions] == ["accepted", "withdrawn"]  # each kept


async def test_a_new_version_of_the_text_asks_again(firm: Firm) -> None:
    row = await consent.record(firm.core, await principal_of(firm), "taxpayer", "accepted", "en")
    await SigningConsent.create(**{**_values(row), "text_version": "esign-2025.1"})
    assert await consent.required(firm.portal_id, "taxpayer")


async def test_simultaneous_decisions_are_each_recorded_and_the_newest_wins(firm: Firm) -> None:
    who = await principal_of(firm)
    decisions = ["accepted", "declined"] * 5
    await asyncio.gather(*(consent.record(firm.core, who, "taxpayer", d, "en") for d in decisions))
    rows = await SigningConsent.filter(portal_id=firm.portal_id).order_by("id")
    assert sorted(r.decision for r in rows) == sorted(decisions)
    newest = await consent.current(firm.portal_id, "taxpayer")
    assert newest is not None and newest.id == rows[-1].id
    assert await consent.required(firm.portal_id, "taxpayer") == (newest.decision != "accepted")
    logged = await ActivityEntry.filter(action__startswith="signing_consent_a").count()
    logged += await ActivityEntry.filter(action="signing_consent_declined").count()
    assert logged == len(decisions)


async def test_no_such_signer_and_staff_are_refused(firm: Firm) -> None:
    who = await principal_of(firm)
    for role in ("spouse", "preparer", ""):  # a single return has no spouse
        with pytest.raises(consent.NotFound):
            await consent.record(firm.core, who, role, "accepted", "en")
    staff = Principal("staff", 1, "203.0.113.7")
    with pytest.raises(consent.NotFound):
        await consent.record(firm.core, staff, "taxpayer", "accepted", "en")
    await TaxReturn.filter(id=firm.return_id).update(spouse_first_name="Carl")
    # the taxpayer cannot agree in the spouse's name: the spouse's own check comes first
    with pytest.raises(consent.IdentityFirst):
        await consent.record(firm.core, who, "spouse", "accepted", "en")
    assert not await SigningConsent.filter(portal_id=firm.portal_id).exists()
    now = dt.datetime.now(dt.UTC)
    await IdentityCheck.create(portal_id=firm.portal_id, role="spouse", passed_at=now)
    row = await consent.record(firm.core, who, "spouse", "accepted", "en")
    assert row.role == "spouse" and await consent.required(firm.portal_id, "taxpayer")
    assert await SigningConsent.filter(portal_id=firm.portal_id).count() == 1


async def test_a_text_that_changed_since_it_was_shown_is_not_recorded(firm: Firm) -> None:
    with pytest.raises(consent.TextChanged):
        await consent.record(
            firm.core, await principal_of(firm), "taxpayer", "accepted", "en", shown_sha256="0" * 64
        )
    assert not await SigningConsent.exists()


def _values(row: SigningConsent) -> dict[str, object]:
    fields = ("portal_id", "role", "decision", "text_sha256", "language", "at", "ip")
    return {name: getattr(row, name) for name in fields}
