"""The client list's counts are remembered, yet never stale: whoever writes, they follow."""

from __future__ import annotations

import sqlite3
from typing import Any

import asyncpg
import pytest

from taxportal.models import TaxReturn
from taxportal.services.returns import client_list
from taxportal.sql import Sql
from tests.conftest import POSTGRES_URL


async def counter() -> int:
    rows = await Sql().rows("SELECT value FROM change_counter WHERE name = 'tax_return'")
    return int(rows[0]["value"])


async def totals() -> tuple[int, int, int]:
    """All returns, the 2025 ones, and those matching 'kim'."""
    every = await client_list.page()
    year = await client_list.page(tax_year=2025)
    kim = await client_list.page(search="kim")
    return every.total, year.total, kim.total


async def add(last: str, first: str = "Kim", year: int = 2025) -> TaxReturn:
    return await TaxReturn.create(
        tax_year=year,
        first_name=first,
        last_name=last,
        ssn_digest=f"d-{last}",
        search_text=f"{first} {last}".casefold(),
    )


async def started_with(build_app: Any, client_for: Any, *names: str) -> None:
    """A started app whose database holds a 2025 return of "Kim <name>" for each name."""
    await client_for(await build_app())
    for name in names:
        await add(name)


async def outside_write(database: str, statement: str) -> None:
    """A write from another process (another server worker, a database tool)."""
    if database.startswith("postgres"):
        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()
        return
    with sqlite3.connect(database.removeprefix("sqlite://")) as connection:
        connection.execute(statement)


async def test_counts_follow_every_write_that_changes_them(
    database: str, build_app: Any, client_for: Any
) -> None:
    await client_for(await build_app())
    first = await add("Alpha")
    await add("Beta", first="Lee", year=2024)
    assert await totals() == (2, 1, 1)

    await add("Gamma")
    assert await totals() == (3, 2, 2)
    await TaxReturn.filter(id=first.id).update(tax_year=2024)  # the year moves
    assert await totals() == (3, 1, 2)
    await TaxReturn.filter(id=first.id).update(search_text="ann alpha")  # the name moves
    assert await totals() == (3, 1, 1)

    # a write no filter reads leaves the counter, and so every remembered count, alone
    before = await counter()
    await TaxReturn.filter(id=first.id).update(efile_status="Accepted", city="Athens")
    assert await counter() == before and await totals() == (3, 1, 1)

    await TaxReturn.filter(id=first.id).delete()
    assert await totals() == (2, 1, 1)
    await outside_write(database, "UPDATE tax_return SET tax_year = 2023 WHERE last_name = 'Gamma'")
    assert await totals() == (2, 0, 1)
    await outside_write(database, "DELETE FROM tax_return WHERE last_name = 'Beta'")
    assert await totals() == (1, 0, 1)


async def test_a_remembered_count_is_used_while_nothing_changes(
    database: str, build_app: Any, client_for: Any
) -> None:
    await started_with(build_app, client_for, "Alpha", "Beta", "Gamma")
    assert (await client_list.page(search="kim")).total == 3
    # the count is not taken again: a row the counter never heard of is not counted
    postgres = database.startswith("postgres")
    trigger = "tax_return_counted ON tax_return" if postgres else "tax_return_counted_delete"
    await outside_write(database, f"DROP TRIGGER {trigger}")
    await outside_write(database, "DELETE FROM tax_return WHERE last_name = 'Beta'")
    page = await client_list.page(search="kim")
    assert page.total == 3 and len(page.rows) == 2


async def test_postgres_moves_the_counter_once_per_transaction_and_on_truncate(
    database: str, build_app: Any, client_for: Any
) -> None:
    if not database.startswith("postgres"):
        pytest.skip("deferred triggers and TRUNCATE are PostgreSQL's")
    await client_for(await build_app())
    before = await counter()
    await outside_write(
        database,
        "INSERT INTO tax_return (tax_year, return_type, efile_status, first_name, last_name,"
        " ssn_encrypted, ssn_last4, primary_email, secondary_email, mobile_phone, address,"
        " city, state, zip_code, spouse_first_name, spouse_last_name, spouse_ssn_encrypted,"
        " spouse_ssn_last4, language, search_text, created_at, updated_at)"
        " SELECT 2025, '1040', '', 'Kim', 'Bulk' || n, '', '', '', '', '', '', '', '', '',"
        " '', '', '', '', 'en', 'kim bulk' || n, now(), now() FROM generate_series(1, 500) n",
    )
    assert await counter() == before + 1
    assert await totals() == (500, 500, 500)
    await outside_write(database, "TRUNCATE tax_return CASCADE")
    assert await totals() == (0, 0, 0)


async def test_more_filters_at_once_than_are_remembered_all_get_their_count(
    database: str, build_app: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many searches in flight while the oldest remembered counts are being dropped."""
    import asyncio

    await started_with(build_app, client_for, "Alpha", "Beta", "Gamma", "Delta")
    monkeypatch.setattr(client_list, "REMEMBERED", 2)
    assert (await client_list.page(search="kim")).total == 4  # remembered...
    # ...and dropped by the newer ones while its own statement is in flight
    words = ["alpha", "beta", "gamma", "delta", "nobody", "kim alpha", "a", "kim"] * 3
    pages = await asyncio.gather(*(client_list.page(search=word) for word in words))
    expected = {"kim": 4, "alpha": 1, "beta": 1, "gamma": 1, "delta": 1, "nobody": 0}
    expected |= {"kim alpha": 1, "a": 4}
    assert [page.total for page in pages] == [expected[word] for word in words]
    assert len(client_list._counts) <= 2


async def test_a_count_taken_inside_a_transaction_that_rolls_back_is_not_remembered(
    database: str, build_app: Any, client_for: Any
) -> None:
    from tortoise.transactions import in_transaction

    await started_with(build_app, client_for, "Alpha", "Beta", "Gamma")

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack):
        async with in_transaction():
            await add("Delta")
            assert await totals() == (4, 4, 4)  # the transaction sees its own row
            raise RolledBack
    assert await totals() == (3, 3, 3)
