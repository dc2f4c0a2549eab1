"""The consent page and "Sign on paper" over HTTP, as a browser uses them."""

from __future__ import annotations

import hashlib
import re
from html import unescape
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient

from taxportal.models import ActivityEntry, SigningConsent
from taxportal.services.signing import consent
from tests.accounts.journey import form_token, newest_email
from tests.i18n.spanish_walk import assert_spanish_page
from tests.preparer_documents.conftest import Firm
from tests.signing_consent.conftest import PAGE, second_taxpayer
from tests.support import ADMIN_EMAIL

FILES = "/portal/preparer-files"


def field(page: str, name: str) -> str:
    """The consent form's field (the language switch above has a "next" of its own)."""
    found = re.findall(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} on the page"
    return unescape(found[-1])


async def decide(
    taxpayer: TestClient,
    decision: str,
    role: str = "taxpayer",
    next_path: str = FILES,
    **extra: str,
) -> Any:
    page = await (await taxpayer.get(f"{PAGE}?role={role}&next={quote(next_path)}")).text()
    data = {
        "csrf_token": field(page, "csrf_token"),
        "role": role,
        "next": field(page, "next"),
        "text_sha256": field(page, "text_sha256"),
        "decision": decision,
        **extra,
    }
    return await taxpayer.post(PAGE, data=data, allow_redirects=False)


async def test_the_page_shows_the_text_whose_hash_is_recorded_and_agreeing_goes_on(
    firm: Firm,
) -> None:
    response = await firm.taxpayer.get(f"{PAGE}?role=taxpayer&next=/portal/preparer-files")
    page = await response.text()
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    shown = await consent.signer_disclosure(firm.core, firm.portal_id, "taxpayer", "en")
    assert shown.html in page  # the exact characters hashed are the ones served
    assert field(page, "text_sha256") == hashlib.sha256(shown.html.encode()).hexdigest()
    assert ">I agree</button>" in page and ">I do not agree</button>" in page
    response = await decide(firm.taxpayer, "accepted", next_path="/portal/preparer-files?x=1")
    assert response.status == 303 and response.headers["Location"] == "/portal/preparer-files?x=1"
    row = await SigningConsent.get(portal_id=firm.portal_id)
    assert (row.decision, row.text_sha256) == ("accepted", shown.sha256)
    again = await (await firm.taxpayer.get(PAGE)).text()
    assert "You agreed to sign electronically on" in again and "Withdraw my consent" in again


@pytest.mark.parametrize(
    "forged",
    [
        "//evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "https://evil.example/portal/",
        "/portal/\\\\evil.example",
        "/staff/users",
        "javascript:alert(1)",
        "/portal/ files",
        "/portal/../staff/users",  # a browser resolves the dot segments
        "/portal/%2e%2e/staff/users",
        "/portal/.%2E/staff/users",
    ],
)
async def test_a_next_outside_the_portal_is_refused(firm: Firm, forged: str) -> None:
    page = await (await firm.taxpayer.get(PAGE, params={"next": forged})).text()
    assert field(page, "next") == FILES  # the form never carries it
    data = {
        "csrf_token": field(page, "csrf_token"),
        "role": "taxpayer",
        "decision": "accepted",
        "next": forged,  # nor does a forged form field get past the handler's own check
        "text_sha256": field(page, "text_sha256"),
    }
    response = await firm.taxpayer.post(PAGE, data=data, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == FILES


async def test_without_the_csrf_token_nothing_is_recorded(firm: Firm) -> None:
    page = await (await firm.taxpayer.get(PAGE)).text()
    data = {"role": "taxpayer", "decision": "declined", "text_sha256": field(page, "text_sha256")}
    response = await firm.taxpayer.post(PAGE, data=data, allow_redirects=False)
    assert response.status == 403
    data["csrf_token"] = "forged"
    response = await firm.taxpayer.post(PAGE, data=data, allow_redirects=False)
    assert response.status == 403
    assert not await SigningConsent.exists()


async def test_an_unknown_role_or_a_missing_spouse_is_not_found(firm: Firm) -> None:
    token = await form_token(firm.taxpayer, PAGE)
    for role in ("preparer", "spouse", "", "taxpayer\n", "TAXPAYER"):
        response = await firm.taxpayer.get(PAGE, params={"role": role})
        assert response.status in (400, 404), role  # 400: a control character
        data = {"csrf_token": token, "role": role, "decision": "accepted"}
        response = await firm.taxpayer.post(PAGE, data=data, allow_redirects=False)
        assert response.status in (400, 404), role
    response = await firm.taxpayer.get("/portal/signing/paper?role=preparer")
    assert response.status == 404
    assert not await SigningConsent.exists()


async def test_a_wrong_decision_or_a_changed_text_records_nothing(firm: Firm) -> None:
    response = await decide(firm.taxpayer, "maybe")
    assert response.status == 400 and "Choose I agree or I do not agree." in await response.text()
    response = await decide(firm.taxpayer, "withdrawn")  # not a button of this form
    assert response.status == 400
    page = await (await firm.taxpayer.get(PAGE)).text()
    data = {"csrf_token": field(page, "csrf_token"), "role": "taxpayer", "decision": "accepted"}
    response = await firm.taxpayer.post(PAGE, data={**data, "text_sha256": "0" * 64})
    assert response.status == 409 and "The text changed" in await response.text()
    assert not await SigningConsent.exists()


async def test_declining_shows_how_to_sign_on_paper_and_tells_the_preparer(firm: Firm) -> None:
    response = await decide(firm.taxpayer, "declined")
    assert response.status == 303 and response.headers["Location"].startswith(
        "/portal/signing/paper?role=taxpayer"
    )
    page = await (await firm.taxpayer.get(response.headers["Location"])).text()
    assert "Sign on paper" in page and "print it" in page and "Bring it or mail it to" in page
    mail = newest_email(firm.taxpayer)
    assert mail["To"] == ADMIN_EMAIL and "will sign on paper" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert "Núñez" in body and "did not agree to sign electronically" in body
    assert "400-12" not in body  # nothing of the SSN
    assert await ActivityEntry.filter(action="signing_consent_declined").count() == 1


async def test_withdrawing_from_the_page(firm: Firm) -> None:
    assert (await decide(firm.taxpayer, "accepted")).status == 303
    files = await (await firm.taxpayer.get(FILES)).text()
    assert 'href="/portal/signing/consent?role=taxpayer"' in files
    token = await form_token(firm.taxpayer, PAGE)
    data = {"csrf_token": token, "role": "taxpayer"}
    response = await firm.taxpayer.post(f"{PAGE}/withdraw", data=data, allow_redirects=False)
    assert response.status == 303 and "withdrawn=1" in response.headers["Location"]
    page = await (await firm.taxpayer.get(response.headers["Location"])).text()
    assert "Your consent is withdrawn." in page
    assert (
        "withdrew their consent" in newest_email(firm.taxpayer).get_body(("plain",)).get_content()
    )
    assert await consent.required(firm.portal_id, "taxpayer")
    page = await (await firm.taxpayer.get(PAGE)).text()
    assert "You withdrew your consent on" in page and ">I agree</button>" in page


async def test_another_portal_neither_sees_nor_changes_this_consent(
    firm: Firm, aiohttp_client: Any
) -> None:
    assert (await decide(firm.taxpayer, "accepted")).status == 303
    other, other_portal = await second_taxpayer(firm, aiohttp_client)
    page = await (await other.get(PAGE)).text()
    assert "You agreed" not in page and ">I agree</button>" in page
    # the portal is the session's, never the request's: a portal field changes nothing
    response = await decide(other, "declined", portal_id=str(firm.portal_id))
    assert response.status == 303
    mine = await consent.current(firm.portal_id, "taxpayer")
    theirs = await consent.current(other_portal, "taxpayer")
    assert mine is not None and mine.decision == "accepted"
    assert theirs is not None and theirs.decision == "declined"


async def test_the_spanish_page_speaks_spanish(spanish_firm: Firm) -> None:
    page = await (await spanish_firm.taxpayer.get(PAGE)).text()
    assert_spanish_page(  # and no other string of the catalog left in English
        page,
        english=("Before you sign", "Your right to paper", "I agree", "I do not agree"),
        spanish=(
            "Antes de firmar",
            "Su derecho al papel",
            "Acepto",
            "No acepto",
            "Formulario 8879",
        ),
    )
    response = await decide(spanish_firm.taxpayer, "declined")
    paper = await (await spanish_firm.taxpayer.get(response.headers["Location"])).text()
    assert_spanish_page(
        paper,
        english=("Sign on paper", "Bring it or mail it to"),
        spanish=("Firmar en papel", "Llévelo o envíelo por correo a", "imprímalo"),
    )
    row = await SigningConsent.get(portal_id=spanish_firm.portal_id)
    shown = await consent.signer_disclosure(
        spanish_firm.core, spanish_firm.portal_id, "taxpayer", "es"
    )
    assert row.language == "es" and row.text_sha256 == shown.sha256
    assert "will sign on paper" in newest_email(spanish_firm.taxpayer)["Subject"]  # in English
    files = await (await spanish_firm.taxpayer.get(FILES)).text()
    assert "Consentimiento para firmar electrónicamente: revisar o retirar" in files


async def test_signed_out_visitors_are_sent_to_sign_in(firm: Firm, aiohttp_client: Any) -> None:
    stranger = await aiohttp_client(firm.taxpayer.server)
    response = await stranger.get(PAGE, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/portal/login"
