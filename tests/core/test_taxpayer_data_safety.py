"""A sentinel SSN, date of birth and prior-year AGI never reach the database file, the logs
or a page."""

from __future__ import annotations

import logging
from pathlib import Path

from taxportal.models import TaxReturn
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields
from tests.support import SENTINEL_SSN, csrf_from

DIGITS = SENTINEL_SSN.replace("-", "")
# Identity facts asked at signing (issue 11): each in every form it could be stored or shown.
BIRTH_DATES = ("1958-04-17", "04/17/1958", "1957-12-29", "12/29/1957")
AGIS = ("7654321", "7,654,321", "8765432", "8,765,432")


def sqlite_path(client) -> Path | None:  # type: ignore[no-untyped-def]
    from taxportal.web.keys import CORE

    url = client.app[CORE].config.database_url
    return Path(url.removeprefix("sqlite://")) if url.startswith("sqlite://") else None


async def test_sentinel_ssn_is_encrypted_at_rest_and_absent_from_logs_and_pages(
    staff_client, core_of, caplog
):
    caplog.set_level(logging.DEBUG)
    core = core_of(staff_client)
    fields = ReturnFields(
        tax_year=2025,
        last_name="Sentinel",
        first_name="Sam",
        ssn=SENTINEL_SSN,
        primary_email="sam@example.com",
        mobile_phone="7065550100",
        spouse_first_name="Sue",
        spouse_last_name="Sentinel",
        spouse_ssn="987-65-4320",
        birth_date="04/17/1958",
        prior_year_agi="$7,654,321",
        spouse_birth_date="12/29/1957",
        spouse_prior_year_agi="8765432",
    )
    tax_return, _ = await returns_service.upsert(core, fields, actor="test")

    # Through the console: list, search by name, edit page, and a bad edit.
    pages = [
        await (await staff_client.get(p)).text()
        for p in ("/staff/", "/staff/?q=sentinel", f"/staff/returns/{tax_return.id}/edit")
    ]
    token = await csrf_from(staff_client, f"/staff/returns/{tax_return.id}/edit")
    bad = await staff_client.post(
        f"/staff/returns/{tax_return.id}/edit",
        data={
            "csrf_token": token,
            "tax_year": "2025",
            "last_name": "Sentinel",
            "ssn": SENTINEL_SSN,
            "mobile_phone": "not a phone",
        },
    )
    assert bad.status == 400
    pages.append(await bad.text())
    assert "***-**-6789" in pages[0]
    for page in pages:
        assert SENTINEL_SSN not in page and DIGITS not in page
        assert not [fact for fact in BIRTH_DATES + AGIS if fact in page]

    stored = await TaxReturn.get(id=tax_return.id)
    assert DIGITS not in stored.ssn_encrypted and stored.ssn_last4 == "6789"
    assert core.cipher.decrypt(stored.ssn_encrypted, "ssn") == DIGITS

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert DIGITS not in logged and SENTINEL_SSN not in logged
    assert not [fact for fact in BIRTH_DATES + AGIS if fact in logged]

    # every column of the row as the database holds it (both databases)
    from tortoise import connections

    rows = await connections.get("default").execute_query_dict("SELECT * FROM tax_return")
    row_text = " ".join(str(value) for row in rows for value in row.values())
    assert not [fact for fact in (DIGITS, *BIRTH_DATES, *AGIS) if fact in row_text]
    assert stored.birth_date_encrypted.startswith("v1:")
    assert core.cipher.decrypt(stored.birth_date_encrypted, "birth_date") == "1958-04-17"

    db_file = sqlite_path(staff_client)
    if db_file is not None:  # on PostgreSQL the column check above covers it
        from tortoise import Tortoise

        await Tortoise.close_connections()  # flush the WAL into the file before reading it
        raw = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
        assert DIGITS.encode() not in raw and b"6789" in raw
        assert not [fact for fact in BIRTH_DATES + AGIS if fact.encode() in raw]


async def test_invalid_ssn_error_never_echoes_the_value(staff_client):
    token = await csrf_from(staff_client, "/staff/returns/new")
    response = await staff_client.post(
        "/staff/returns/new",
        data={"csrf_token": token, "tax_year": "2025", "last_name": "Doe", "ssn": "000-12-3456"},
    )
    page = await response.text()
    assert response.status == 400
    assert "ssn: SSN is not a valid SSN" in page
    assert "000-12-3456" not in page and "000123456" not in page


async def test_an_internal_error_shows_a_reference_not_a_traceback(build_app, client_for, caplog):
    from aiohttp import web

    from taxportal.contracts import RouteSpec
    from taxportal.hookspecs import hookimpl

    class Exploding:
        @hookimpl
        def taxportal_routes(self, config):  # type: ignore[no-untyped-def]
            async def boom(request: web.Request) -> web.Response:
                raise RuntimeError(f"database said {SENTINEL_SSN}")

            return [RouteSpec("GET", "/boom", boom)]

    client = await client_for(await build_app(Exploding()))
    response = await client.get("/boom")
    page = await response.text()
    assert response.status == 500
    assert "Something went wrong" in page and "reference" in page
    assert "Traceback" not in page and "RuntimeError" not in page and SENTINEL_SSN not in page
    assert response.headers["Cache-Control"] == "no-store"
