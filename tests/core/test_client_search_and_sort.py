"""A preparer finds a client by the SSN's last four or the whole SSN, and the client lists
sort names as people read them (case, accents and spaces aside), on both databases."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from taxportal.services.accounts import staff as staff_service
from taxportal.services.returns import records as returns_service
from taxportal.services.returns.fields import ReturnFields
from taxportal.web.keys import CORE
from tests.support import ADMIN_EMAIL

YEAR = dt.date.today().year - 1  # Manage Portals shows this season's returns
CLIENTS = [  # first, last, SSN, phone
    ("Luis", "de la Cruz", "400-12-1001", "(706) 555-0199"),
    ("Alisa", "Support", "400-12-2002", "(706) 555-1001"),  # her phone ends like Luis's SSN
    ("Ángel", "Garcia", "400-12-3003", ""),
    ("Rosa", "garcía", "400-12-4004", ""),
    ("Amy", "adams", "400-12-5005", ""),
]


async def _seed(core: Any) -> None:
    for first, last, ssn, phone in CLIENTS:
        fields = ReturnFields(
            tax_year=YEAR, first_name=first, last_name=last, ssn=ssn, mobile_phone=phone
        )
        await returns_service.upsert(core, fields, actor="test")


def _names(html: str) -> list[str]:
    """Last names in the order the table shows them (the seeded ones only)."""
    wanted = "|".join(re.escape(last) for _, last, _, _ in CLIENTS)
    return re.findall(rf"[> ]({wanted})</td>", html)


async def test_search_by_last_four_and_by_full_ssn_in_the_console_and_the_api(staff_client):
    core = staff_client.app[CORE]
    await _seed(core)

    async def viewer(query: str) -> str:
        page = await staff_client.get("/staff/", params={"q": query})
        assert page.status == 200
        return await page.text()

    by_last_four = _names(await viewer("1001"))
    assert sorted(by_last_four) == ["Support", "de la Cruz"]  # the SSN's and the phone's
    for typed in ("400-12-1001", "400121001"):
        html = await viewer(typed)
        assert _names(html) == ["de la Cruz"]
        assert "400-12-1001" not in html and "400121001" not in html  # shown back masked
        assert "***-**-1001" in html
    assert _names(await viewer("400-12-9999")) == []
    assert _names(await viewer("***-**-2002")) == ["Support"]  # a masked search, resubmitted

    portals = await (await staff_client.get("/staff/portals", params={"q": "4004"})).text()
    assert "garcía" in portals and "Garcia" not in portals

    user = await staff_service.get_staff(1)
    assert user is not None and user.email == ADMIN_EMAIL
    token = await staff_service.issue_api_token(user)
    listed = await staff_client.get(
        "/api/v1/returns",
        params={"q": "400-12-3003"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert listed.status == 200
    items = (await listed.json())["items"]
    assert [item["last_name"] for item in items] == ["Garcia"]


async def test_names_sort_without_regard_to_case_accents_or_spaces(staff_client):
    await _seed(staff_client.app[CORE])
    expected = ["adams", "de la Cruz", "Garcia", "garcía", "Support"]
    portals = await (await staff_client.get("/staff/portals")).text()
    assert _names(portals) == expected
    viewer = await (await staff_client.get("/staff/", params={"sort": "last_name"})).text()
    assert _names(viewer) == expected
    backwards = await staff_client.get("/staff/", params={"sort": "last_name", "dir": "desc"})
    assert _names(await backwards.text()) == expected[::-1]
    by_first = await (await staff_client.get("/staff/", params={"sort": "first_name"})).text()
    # Alisa, Amy, Ángel (the accent aside), Luis, Rosa
    assert _names(by_first) == ["Support", "adams", "Garcia", "de la Cruz", "garcía"]


async def test_the_migration_gives_returns_already_stored_their_sort_keys(make_config, database):
    from tortoise import Tortoise, connections
    from tortoise.migrations.api.migrate import migrate

    from taxportal.db import apply_migrations
    from taxportal.runtime import build_core, database_config

    tconfig = database_config(build_core(make_config(database)))
    try:
        await migrate(config=tconfig, target="taxportal.0008_return_count_counter")
        await connections.get("default").execute_script(
            "INSERT INTO tax_return (tax_year, return_type, efile_status, first_name, last_name,"
            " ssn_encrypted, ssn_last4, primary_email, secondary_email, mobile_phone, address,"
            " city, state, zip_code, spouse_first_name, spouse_last_name, spouse_ssn_encrypted,"
            " spouse_ssn_last4, language, search_text, created_at, updated_at) VALUES"
            " (2025, '1040', '', 'Ángel', 'de la Cruz', '', '', '', '', '', '', '', '', '', '',"
            " '', '', '', 'en', 'ángel de la cruz', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    finally:
        await Tortoise.close_connections()
    await apply_migrations(tconfig)
    await Tortoise.init(config=tconfig)
    try:
        rows = await connections.get("default").execute_query_dict(
            "SELECT last_name_key, first_name_key FROM tax_return"
        )
    finally:
        await Tortoise.close_connections()
    assert rows == [{"last_name_key": "delacruz", "first_name_key": "angel"}]
