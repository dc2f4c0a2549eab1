"""The client list read with SQL (services.client_list, the console's and the API's) shows
exactly what a plain model-based reading of the same filters and sorting shows (the
reference below), for every filter and sort, and the API's rows (``full=True``) are the
console's rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tortoise.expressions import Q

from taxportal.models import Invitation, Portal, TaxpayerAccount, TaxReturn, UploadedFile
from taxportal.services.returns import client_list
from taxportal.services.returns import records as returns
from taxportal.services.returns.client_search import parse
from taxportal.services.returns.records import ClientPage, ClientRow
from taxportal.text import fold_name
from taxportal.web.keys import CORE

NOW = dt.datetime(2026, 2, 10, 15, 30, tzinfo=dt.UTC)


# Ana's last four is the end of John's phone; Rosa's SSN is the start of Linh's phone digits
SSNS = {"Ana": "400120103", "Rosa": "706555010", "John": "400121234", "Luis": "400125678"}


async def seed(digest: Any = None) -> None:
    people = [
        ("Ana", "García", "ana@example.com", "+17065550101", 2025, "Evans"),
        ("Rosa", "Garcia", "rosa@example.com", "+17065550102", 2025, "Augusta"),
        ("John", "Smith", "john_s@example.com", "+17065550103", 2024, "Evans"),
        ("Linh", "Nguyen", "linh%@example.com", "+17065550104", 2025, "Martinez"),
        ("Maria", "O'Brien", "", "+17065550105", 2025, "Evans"),
        ("Sofia", "Lopez", "sofia@example.com", "", 2023, "Grovetown"),
        ("Luis", "de la Cruz", "luis@example.com", "", 2025, "augusta"),
        ("alisa", "Support", "", "", 2025, "EVANS"),
    ]
    for first, last, email, phone, year, city in people:
        ssn = SSNS.get(first, "")
        await TaxReturn.create(
            tax_year=year,
            first_name=first,
            last_name=last,
            last_name_key=fold_name(last),
            first_name_key=fold_name(first),
            primary_email=email,
            mobile_phone=phone,
            city=city,
            state="GA",
            ssn_last4=ssn[-4:],
            ssn_digest=digest(ssn) if digest and ssn else f"d-{first}",
            search_text=f"{first} {last} {email} {phone.lstrip('+')}".casefold(),
        )
    by_name = {r.first_name: r for r in await TaxReturn.all()}
    # invited by email; invited twice (the newest, by text, counts); registered; verified
    # with two new uploads and one reviewed; locked
    invited = await Portal.create(tax_return=by_name["Ana"])
    await Invitation.create(
        portal=invited,
        token_hash="a" * 64,
        channel="email",
        sent_to="ana@example.com",
        expires_at=NOW,
        sent_at=NOW,
    )
    twice = await Portal.create(tax_return=by_name["Rosa"])
    for n, channel in enumerate(("email", "sms")):
        await Invitation.create(
            portal=twice,
            token_hash=f"{n}" * 64,
            channel=channel,
            sent_to="x",
            expires_at=NOW,
            sent_at=NOW + dt.timedelta(minutes=n),
        )
    await Invitation.create(  # never delivered: not "the newest sent"
        portal=twice, token_hash="u" * 64, channel="email", sent_to="x", expires_at=NOW
    )
    registered = await Portal.create(tax_return=by_name["John"], status="registered")
    await TaxpayerAccount.create(
        portal=registered, username="john", username_key="john", password_hash="x"
    )
    verified = await Portal.create(tax_return=by_name["Linh"], status="verified")
    await TaxpayerAccount.create(
        portal=verified, username="linh", username_key="linh", password_hash="x", verified_at=NOW
    )
    for n, reviewed in enumerate((None, None, NOW)):
        await UploadedFile.create(
            portal=verified,
            storage_key=f"u/{n}",
            file_name=f"w2-{n}.pdf",
            content_type="application/pdf",
            size=10,
            sha256=f"{n}" * 64,
            reviewed_at=reviewed,
        )
    await Portal.create(tax_return=by_name["Maria"], locked_at=NOW)


async def reference_list(
    *,
    search: str = "",
    tax_year: int | None = None,
    sort: str = "last_name",
    descending: bool = False,
    page: int = 1,
    per_page: int = 50,
    ssn_digest: Any = None,
) -> ClientPage:
    """The list as tortoise reads it, one model at a time: slow, plain, and independent of
    the SQL it checks (it was the API's list before the API used client_list)."""
    query = TaxReturn.all()
    if tax_year:
        query = query.filter(tax_year=tax_year)
    for term in parse(search, ssn_digest):
        if term.ssn_digest:
            query = query.filter(ssn_digest=term.ssn_digest)
        elif term.ssn_last4:
            query = query.filter(Q(search_text__contains=term.text) | Q(ssn_last4=term.ssn_last4))
        else:
            query = query.filter(search_text__contains=term.text)
    order = client_list.SORTABLE.get(sort, client_list.SORTABLE["last_name"])
    order = tuple(f"-{name}" for name in order) if descending else order
    total, page = await query.count(), max(1, page)
    rows = []
    for r in await query.order_by(*order).offset((page - 1) * per_page).limit(per_page):
        portal = await Portal.get_or_none(tax_return_id=r.id)
        if portal is None:
            rows.append(ClientRow(r, None, None))
            continue
        invitation = (
            await Invitation.filter(portal_id=portal.id, sent_at__isnull=False)
            .order_by("-id")
            .first()
        )
        account = await TaxpayerAccount.get_or_none(portal_id=portal.id)
        new = await UploadedFile.filter(
            portal_id=portal.id, reviewed_at__isnull=True, deleted_at__isnull=True, state="stored"
        ).count()
        rows.append(ClientRow(r, portal, invitation, account, new))
    return ClientPage(rows, total, page, per_page)


def shown(row: Any) -> tuple[Any, ...]:
    """What the File Viewer and Manage Portals show of one row."""
    r = row.tax_return
    sent = row.invitation.sent_at if row.invitation else None
    return (
        r.id,
        r.tax_year,
        r.first_name,
        r.last_name,
        r.primary_email,
        r.mobile_phone,
        r.city,
        r.ssn_last4,
        row.portal_state,
        row.email_sent,
        row.new_uploads,
        sent.replace(microsecond=0) if sent else None,
        bool(row.portal and row.portal.link_requested),
    )


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"sort": "first_name"},
        {"sort": "city", "descending": True},
        {"sort": "tax_year"},
        {"sort": "not-a-column"},
        {"tax_year": 2025},
        {"search": "garcia"},
        {"search": "GARCÍA"},
        {"search": "706-555-0103"},
        {"search": "evans ana"},
        {"search": "%"},  # LIKE wildcards are letters here
        {"search": "john_"},
        {"search": "_"},
        {"search": "o'brien"},
        {"search": "0103"},  # a last four, and the end of a phone number
        {"search": "1234 evans"},
        {"search": "400-12-0103"},  # a full SSN: its digest
        {"search": "400120103"},
        {"search": "706555010"},  # nine digits: an SSN, never part of a phone number
        {"search": "400-120103"},  # not written like an SSN: phone-like digits
        {"sort": "last_name", "descending": True},
        {"per_page": 2, "page": 2},
        {"per_page": 2, "page": 3},  # the last pages are read backwards: same rows
        {"per_page": 4, "page": 2},  # a short last page
        {"per_page": 4, "page": 2, "descending": True, "sort": "city"},
        {"per_page": 5, "page": 2, "tax_year": 2025},
        {"per_page": 1, "page": 6, "search": "example"},
        {"per_page": 2, "page": 99},
    ],
)
async def test_sql_list_matches_model_list(database: str, build_app: Any, client_for: Any, query):
    app = await build_app()
    await client_for(app)
    digest = returns.ssn_digester(app[CORE])
    await seed(digest)
    expected = await reference_list(**query, ssn_digest=digest)
    got = await client_list.page(**query, ssn_digest=digest)
    assert (got.total, got.page, got.pages) == (expected.total, expected.page, expected.pages)
    assert [shown(row) for row in got.rows] == [shown(row) for row in expected.rows]
    api = await client_list.page(**query, ssn_digest=digest, full=True)  # the API's call
    assert (api.total, api.page, api.pages) == (got.total, got.page, got.pages)
    assert [shown(row) for row in api.rows] == [shown(row) for row in got.rows]
    assert all(isinstance(row.tax_return, TaxReturn) for row in api.rows)


async def test_states_and_wildcards(database: str, build_app: Any, client_for: Any) -> None:
    await client_for(await build_app())
    await seed()
    rows = {row.tax_return.first_name: row for row in (await client_list.page()).rows}
    assert rows["Ana"].email_sent == "Sent" and rows["Ana"].portal_state == "invited"
    assert rows["Rosa"].email_sent == "Sent (text)"
    assert rows["John"].portal_state == "registered"
    assert (rows["Linh"].portal_state, rows["Linh"].new_uploads) == ("verified", 2)
    assert rows["Maria"].portal_state == "locked"
    assert (rows["Sofia"].portal, rows["Sofia"].email_sent) == (None, "Not Sent")
    found = await client_list.page(search="%")
    assert [row.tax_return.first_name for row in found.rows] == ["Linh"]


async def test_year_filter_shows_a_new_year_after_a_write(
    database: str, build_app: Any, client_for: Any, staff_client: Any
) -> None:
    await seed()
    assert await returns.tax_years() == [2025, 2024, 2023]
    await TaxReturn.create(tax_year=2026, last_name="New")  # not through the service
    assert await returns.tax_years() == [2025, 2024, 2023]  # cached for half a minute
    page = await staff_client.get("/staff/returns/new")
    token = (await page.text()).split('name="csrf_token" value="')[1].split('"')[0]
    await staff_client.post(
        "/staff/returns/new", data={"csrf_token": token, "tax_year": "2027", "last_name": "Doe"}
    )
    assert await returns.tax_years() == [2027, 2026, 2025, 2024, 2023]


async def test_search_reads_an_index_not_the_table(
    database: str, build_app: Any, client_for: Any
) -> None:
    """SQLite scans the covering name index (0006); PostgreSQL has a trigram index (0007)."""
    from tortoise import connections

    await client_for(await build_app())
    conn = connections.get("default")
    if database.startswith("sqlite"):
        plan = await conn.execute_query_dict(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM tax_return WHERE search_text LIKE '%ana%'"
        )
        assert "COVERING INDEX" in " ".join(str(row["detail"]) for row in plan)
    else:
        names = await conn.execute_query_dict(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'tax_return'"
        )
        assert "tax_return_search_trgm" in {row["indexname"] for row in names}
